package image

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/berth/berth/api"
	"github.com/berth/berth/layer"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
)

// Load imports the images of an archive, as POST /images/load: a
// docker-archive (`docker save`, any layout) or an OCI image layout, as a
// plain or compressed tar. Every layer is checked against its config's
// diff ID before any image or tag appears; on failure nothing is added and
// the layers this load registered are removed. Messages go to out:
// "Loading layer" progress unless quiet, then "Loaded image: name:tag" or
// "Loaded image ID: sha256:..." stream lines.
func (s *Service) Load(ctx context.Context, r io.Reader, quiet bool, out api.Progress) error {
	if out == nil {
		out = api.Discard
	}
	dir, err := s.tempDir("load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := untar(ctx, r, dir); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	items, err := readArchive(root)
	if err != nil {
		return err
	}
	l := &loader{s: s, root: root, out: out, quiet: quiet}
	defer l.finish()
	var records []*record
	for _, it := range items {
		r, err := l.registerImage(ctx, it)
		if err != nil {
			return err
		}
		records = append(records, r)
	}
	return l.commit(items, records)
}

// loader registers the layers of one load and undoes that on failure.
type loader struct {
	s          *Service
	root       *os.Root
	out        api.Progress
	quiet      bool
	leased     []digest.Digest // layers this load must keep until it commits
	registered []digest.Digest // layers this load added to the layer store
	committed  bool
}

func (l *loader) lease(chain digest.Digest) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	l.s.leaseLocked(chain)
	l.leased = append(l.leased, chain)
}

// finish drops the leases and, if the load did not commit, removes the
// layers it registered that nothing else uses.
func (l *loader) finish() {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	l.s.releaseLocked(l.leased...)
	if !l.committed {
		l.s.removeLayersLocked(l.registered)
	}
}

// registerImage makes sure every layer of it is in the layer store with
// the diff ID its config names, and returns the image's record.
func (l *loader) registerImage(ctx context.Context, it *loadItem) (*record, error) {
	diffIDs := it.cfg.RootFS.DiffIDs
	if len(it.layers) != len(diffIDs) {
		return nil, invalidArchive(fmt.Errorf("invalid manifest, layers length mismatch: expected %d, got %d", len(it.layers), len(diffIDs)))
	}
	var parent digest.Digest
	for i, diffID := range diffIDs {
		chain := layer.ChainID(diffIDs[:i+1])
		l.lease(chain)
		if _, err := l.s.layers.Get(chain); err != nil {
			if err := l.registerLayer(ctx, it.layers[i], parent, diffID, i); err != nil {
				return nil, err
			}
		}
		parent = chain
	}
	return newRecord(l.s.layers, it.id, it.cfg)
}

func (l *loader) registerLayer(ctx context.Context, p string, parent, diffID digest.Digest, i int) error {
	f, err := l.root.Open(p)
	if err != nil {
		return invalidArchive(err)
	}
	defer f.Close()
	var r io.Reader = ctxReader{ctx, f}
	if !l.quiet {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		r = newProgressReader(r, l.out, "Loading layer", shortID(diffID), fi.Size())
	}
	got, err := l.s.layers.Register(r, parent)
	if err != nil {
		return fmt.Errorf("loading layer %d: %w", i, err)
	}
	l.registered = append(l.registered, got.ChainID)
	if got.DiffID != diffID {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid diffID for layer %d: expected %q, got %q", i, diffID, got.DiffID))
	}
	return nil
}

// commit writes the configs, then adds the images and their tags to the
// index in one write, then reports.
func (l *loader) commit(items []*loadItem, records []*record) error {
	msgs, err := l.commitIndex(items, records)
	if err != nil {
		return err
	}
	for _, it := range items {
		l.s.publish(eventtypes.ActionLoad, it.id, it.id.String(), it.cfg.Config.Labels)
	}
	for _, m := range msgs {
		l.out.Send(api.Message{Stream: m})
	}
	return nil
}

// commitIndex writes the configs and the index under s.mu, so that a
// concurrent delete of an image being loaded again cannot remove its
// config in between.
func (l *loader) commitIndex(items []*loadItem, records []*record) ([]string, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	for _, it := range items {
		if _, err := l.s.content.PutBytes(it.config, it.id); err != nil {
			return nil, err
		}
	}
	next := l.s.snapshot().index.clone()
	msgs := addLoaded(next, items)
	if err := l.s.commitLocked(next, records...); err != nil {
		return nil, err
	}
	l.committed = true
	return msgs, nil
}

// addLoaded adds the loaded images and tags to ix and returns the messages
// Docker prints for them.
func addLoaded(ix *index, items []*loadItem) []string {
	var msgs []string
	for _, it := range items {
		if _, ok := ix.Images[it.id]; !ok {
			ix.Images[it.id] = imageMeta{}
		}
	}
	for _, it := range items {
		if _, ok := ix.Images[it.parent]; ok && it.parent != "" {
			meta := ix.Images[it.id]
			meta.Parent = it.parent
			ix.Images[it.id] = meta
		}
		for _, tag := range it.tags {
			if old, ok := ix.References[tag.String()]; ok && old != it.id {
				msgs = append(msgs, fmt.Sprintf("The image %s already exists, renaming the old one with ID %s to empty string\n",
					reference.FamiliarString(tag), old))
			}
			ix.References[tag.String()] = it.id
			msgs = append(msgs, fmt.Sprintf("Loaded image: %s\n", reference.FamiliarString(tag)))
		}
		if len(it.tags) == 0 {
			msgs = append(msgs, fmt.Sprintf("Loaded image ID: %s\n", it.id))
		}
	}
	return msgs
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
