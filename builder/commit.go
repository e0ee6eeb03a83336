package builder

import (
	"bytes"
	"context"
	"io"
	"strings"

	"github.com/berth/berth/image"
	"github.com/opencontainers/go-digest"
)

// emptyTar is a layer tar without entries: its diff ID is the empty
// layer's, which makes a history entry and no layer.
var emptyTar = make([]byte, 1024)

// nopComment is the history of a step without a command, as Docker
// writes it: "/bin/sh -c #(nop)  ENV A=b".
func nopComment(s *stage, comment string) string {
	sh := s.config.Shell
	if len(sh) == 0 {
		sh = defaultShell
	}
	return strings.Join(append(append([]string{}, sh...), "#(nop) ", comment), " ")
}

// metadataStep commits a config-only change.
func (r *run) metadataStep(ctx context.Context, s *stage, comment string) error {
	createdBy := nopComment(s, comment)
	return r.cachedStep(ctx, s, createdBy, "", func() (string, error) {
		return r.commitImage(ctx, s, nil, createdBy)
	})
}

// cachedStep makes the step's image: the one an earlier build made for
// the same parent, command, config and extra (source digests), else one
// of a --cache-from image's steps, else by running work. Then the stage goes on from it.
func (r *run) cachedStep(ctx context.Context, s *stage, createdBy, extra string, work func() (string, error)) error {
	key := cacheKey(s, createdBy, extra)
	if !r.opts.NoCache {
		if id, ok := r.b.cache.get(ctx, key); ok {
			r.out.printf(" ---> Using cache\n")
			return r.adopt(ctx, s, id)
		}
		if id, ok := r.fromCacheSources(ctx, s, createdBy); ok {
			r.out.printf(" ---> Using cache\n")
			r.record(key, id)
			return r.adopt(ctx, s, id)
		}
	}
	id, err := work()
	if err != nil {
		return err
	}
	r.record(key, id)
	return r.adopt(ctx, s, id)
}

func (r *run) record(key, id string) {
	if err := r.b.cache.put(key, id); err != nil {
		r.b.log.Warn("recording build cache", "err", err)
	}
}

// adopt moves the stage on to image id.
func (r *run) adopt(ctx context.Context, s *stage, id string) error {
	next, err := r.stageFromImage(ctx, id)
	if err != nil {
		return err
	}
	s.imageID, s.config, s.diffIDs = next.imageID, next.config, next.diffIDs
	r.out.printf(" ---> %s\n", shortID(id))
	return nil
}

// commitImage makes the child of the stage's image (none at the start of
// a FROM scratch stage) with the stage's config, the layer tar diff (nil:
// none) and a history entry.
func (r *run) commitImage(ctx context.Context, s *stage, diff io.Reader, createdBy string) (string, error) {
	if diff == nil {
		diff = bytes.NewReader(emptyTar)
	}
	id, err := r.b.images.Commit(ctx, diff, image.CommitOptions{Author: s.author, Config: s.config,
		Parent: digest.Digest(s.imageID), CreatedBy: createdBy})
	return id.String(), err
}
