package image

import (
	"context"
	"time"

	"github.com/distribution/reference"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
)

// Tag makes repo:tag name the image source designates (moving the tag if it
// named another image), as POST /images/{name}/tag.
func (s *Service) Tag(ctx context.Context, source, repo, tag string) error {
	ref, err := repoTagReference(repo, tag)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.snapshot().resolve(source)
	if err != nil {
		return err
	}
	if err := s.tagLocked(id, ref); err != nil {
		return err
	}
	s.publish(eventtypes.ActionTag, id, reference.FamiliarString(ref), s.snapshot().records[id].labels())
	return nil
}

// tagLocked points ref at id and records the tag time. s.mu must be held.
func (s *Service) tagLocked(id digest.Digest, ref reference.NamedTagged) error {
	next := s.snapshot().index.clone()
	next.References[ref.String()] = id
	meta := next.Images[id]
	meta.LastTagTime = time.Now()
	next.Images[id] = meta
	return s.commitLocked(next)
}
