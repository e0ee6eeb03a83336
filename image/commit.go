package image

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// emptyLayerDiffID is the DiffID of a tar with no entries: a commit
// without changes adds no layer, only a history entry, as in Docker.
const emptyLayerDiffID = digest.Digest("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef")

// CommitOptions are the parameters of POST /commit, as the daemon passes them on.
type CommitOptions struct {
	Repo, Tag       string
	Author, Comment string
	Changes         []string // Dockerfile lines applied to Config
	// Config is the container's configuration, which becomes the image's.
	Config dockerspec.DockerOCIImageConfig
	// Parent is the container's image ("": none, a first layer as FROM
	// scratch builds it); CreatedBy its command, for history.
	Parent    digest.Digest
	CreatedBy string
}

// CheckCommit validates the reference and changes of opts before any work.
func CheckCommit(opts CommitOptions) error {
	if opts.Repo != "" {
		if _, err := repoTagReference(opts.Repo, opts.Tag); err != nil {
			return err
		}
	}
	cfg := opts.Config
	return applyChanges(&cfg, opts.Changes)
}

// Commit makes an image from a container: the layer tar r (the
// container's changes) on top of the parent image's layers (or alone,
// without a parent), with the container's config and the changes applied,
// and a history entry.
func (s *Service) Commit(ctx context.Context, r io.Reader, opts CommitOptions) (digest.Digest, error) {
	var ref reference.NamedTagged
	if opts.Repo != "" {
		var err error
		if ref, err = repoTagReference(opts.Repo, opts.Tag); err != nil {
			return "", err
		}
	}
	cfg := opts.Config
	if err := applyChanges(&cfg, opts.Changes); err != nil {
		return "", err
	}
	parentConfig := &imageConfig{DockerOCIImage: dockerspec.DockerOCIImage{Image: ocispec.Image{
		Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}}}}
	var top digest.Digest
	if opts.Parent != "" {
		parent, ok := s.snapshot().records[opts.Parent]
		if !ok {
			return "", errdefs.ErrNotFound.WithMessage("No such image: " + opts.Parent.String())
		}
		parentConfig = parent.config
		if len(parent.chain) > 0 {
			top = parent.chain[len(parent.chain)-1]
		}
	}
	l, err := s.layers.Register(ctxReader{ctx, r}, top)
	if err != nil {
		return "", fmt.Errorf("committing container layer: %w", err)
	}
	s.mu.Lock()
	s.leaseLocked(l.ChainID)
	s.mu.Unlock()
	c := childConfig(parentConfig, cfg, l.DiffID, opts)
	id, err := s.commitImage(c, opts.Parent, ref)
	s.mu.Lock()
	s.releaseLocked(l.ChainID)
	if err != nil || l.DiffID == emptyLayerDiffID {
		s.removeLayersLocked([]digest.Digest{l.ChainID})
	}
	s.mu.Unlock()
	return id, err
}

// childConfig is the parent's config with the container's config, the new
// layer (unless empty) and its history entry.
func childConfig(parent *imageConfig, cfg dockerspec.DockerOCIImageConfig, diffID digest.Digest, opts CommitOptions) *imageConfig {
	created := time.Now().UTC()
	empty := diffID == emptyLayerDiffID
	c := &imageConfig{Comment: opts.Comment, DockerOCIImage: dockerspec.DockerOCIImage{
		Image: ocispec.Image{Created: &created, Author: opts.Author, Platform: parent.Platform,
			RootFS:  ocispec.RootFS{Type: "layers", DiffIDs: slices.Clone(parent.RootFS.DiffIDs)},
			History: slices.Clone(parent.History)},
		Config: cfg,
	}}
	if !empty {
		c.RootFS.DiffIDs = append(c.RootFS.DiffIDs, diffID)
	}
	c.History = append(c.History, ocispec.History{Created: &created, Author: opts.Author, CreatedBy: opts.CreatedBy,
		Comment: opts.Comment, EmptyLayer: empty})
	return c
}

// commitImage stores the config and adds the image (and its tag) to the index.
func (s *Service) commitImage(c *imageConfig, parent digest.Digest, ref reference.NamedTagged) (digest.Digest, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	id := digest.FromBytes(b)
	rec, err := newRecord(s.layers, id, c)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.content.PutBytes(b, id); err != nil {
		return "", err
	}
	next := s.snapshot().index.clone()
	meta := next.Images[id]
	meta.Parent = parent
	if ref != nil {
		next.References[ref.String()] = id
		meta.LastTagTime = time.Now()
	}
	next.Images[id] = meta
	if err := s.commitLocked(next, rec); err != nil {
		return "", err
	}
	if ref != nil {
		s.publish(eventtypes.ActionTag, id, reference.FamiliarString(ref), c.Config.Labels)
	}
	return id, nil
}
