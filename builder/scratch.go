package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berth/berth/atomicfile"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// Scratch read-write layers (COPY/ADD/WORKDIR steps, COPY --from an
// image) are recorded in scratch/<id> while they exist, so that those a
// crash left behind are removed at the next start.

func (b *Builder) scratchDir() string { return filepath.Join(b.root, "scratch") }

// createScratch makes a read-write layer on top of chain.
func (b *Builder) createScratch(prefix string, chain digest.Digest) (string, error) {
	id := prefix + randomHex()
	if err := atomicfile.Write(filepath.Join(b.scratchDir(), id), nil, 0o600); err != nil {
		return "", err
	}
	if err := b.layers.CreateRW(id, chain); err != nil {
		os.Remove(filepath.Join(b.scratchDir(), id))
		return "", err
	}
	return id, nil
}

// removeScratch unmounts and deletes a scratch layer.
func (b *Builder) removeScratch(id string) {
	if err := b.layers.RemoveRW(id); err != nil {
		b.log.Warn("removing build layer", "id", id, "err", err)
		return
	}
	os.Remove(filepath.Join(b.scratchDir(), id))
}

// removeLeftScratch removes the scratch layers of builds a crash ended.
func (b *Builder) removeLeftScratch() error {
	if err := os.MkdirAll(b.scratchDir(), 0o700); err != nil {
		return err
	}
	des, err := os.ReadDir(b.scratchDir())
	if err != nil {
		return err
	}
	for _, de := range des {
		b.removeScratch(de.Name())
	}
	return nil
}

// inScratchLayer runs fn on a writable view of the stage's filesystem
// (a read-write layer of its own, removed afterwards) and commits what fn
// changed as the step's image.
func (r *run) inScratchLayer(ctx context.Context, s *stage, createdBy string, fn func(rootfs string) error) (string, error) {
	id, err := r.b.createScratch("build-", s.chainID())
	if err != nil {
		return "", err
	}
	defer r.b.removeScratch(id)
	rootfs, err := r.b.layers.MountRW(id)
	if err != nil {
		return "", err
	}
	err = fn(rootfs)
	if uerr := r.b.layers.UnmountRW(id); err == nil {
		err = uerr
	}
	if err != nil {
		return "", err
	}
	diff, err := r.b.layers.RWDiff(id)
	if err != nil {
		return "", err
	}
	defer diff.Close()
	return r.commitImage(ctx, s, diff, createdBy)
}

// sourceRoot is where COPY reads: the context, or with --from a stage's
// or an image's filesystem, mounted for the step.
func (r *run) sourceRoot(ctx context.Context, from string) (*os.Root, func(), error) {
	if from == "" {
		return r.context, func() {}, nil
	}
	var imageID string
	if j, ok := r.df.StageIndex(from); ok {
		id, built := r.shared.stageImage(j)
		if !built {
			return nil, nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid from flag value %s: refers to a stage not built before this one", from))
		}
		imageID = id
	} else {
		id, err := r.imageFor(ctx, from, r.opts.Platform, false)
		if err != nil {
			return nil, nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid from flag value %s: %v", from, err))
		}
		imageID = id
	}
	src, err := r.stageFromImage(ctx, imageID)
	if err != nil {
		return nil, nil, err
	}
	id, err := r.b.createScratch("build-src-", src.chainID())
	if err != nil {
		return nil, nil, err
	}
	release := func() { r.b.removeScratch(id) }
	merged, err := r.b.layers.MountRW(id)
	if err != nil {
		release()
		return nil, nil, err
	}
	root, err := os.OpenRoot(merged)
	if err != nil {
		release()
		return nil, nil, err
	}
	return root, func() { root.Close(); release() }, nil
}
