package builder

import (
	"context"
	"fmt"
	"slices"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// cacheSource is a --cache-from image: the steps of its history may stand
// for the build's own, as in Docker's classic builder. Such images
// usually come from a pull or a load, without the intermediate images
// the local cache names.
type cacheSource struct {
	id  digest.Digest
	cfg dockerspec.DockerOCIImage
}

// cacheSources looks up the --cache-from names. As Docker, they must be
// local images (the builder does not pull them); others are skipped with
// a warning in the daemon's log.
func (b *Builder) cacheSources(ctx context.Context, names []string) []cacheSource {
	var out []cacheSource
	for _, name := range names {
		id, cfg, err := b.images.ConfigOf(ctx, name)
		if err != nil {
			b.log.Warn("could not look up --cache-from image, skipping", "image", name, "err", err)
			continue
		}
		out = append(out, cacheSource{id: id, cfg: cfg})
	}
	return out
}

// fromCacheSources finds the step's image in the --cache-from images, as
// Docker's ImageCache.GetCache: a source matches when the stage image's
// history and layers begin it and its next history entry was created by
// the same command (which holds the instruction, its expanded words and,
// for COPY/ADD, the sources' digest). If that entry is the source's last,
// the source is the step's image; else an image is made of the stage's
// image, that entry and its layer (already stored, with the source).
func (r *run) fromCacheSources(ctx context.Context, s *stage, createdBy string) (string, bool) {
	if len(r.sources) == 0 {
		return "", false
	}
	var parent dockerspec.DockerOCIImage
	if s.imageID != "" {
		var err error
		if _, parent, err = r.b.images.ConfigOf(ctx, s.imageID); err != nil {
			return "", false
		}
	}
	n := len(parent.History)
	for _, src := range r.sources {
		if !continues(src.cfg, parent) || src.cfg.History[n].CreatedBy != createdBy {
			continue
		}
		if n == len(src.cfg.History)-1 {
			return src.id.String(), true
		}
		id, err := r.restoreStep(s, parent, src.cfg)
		if err != nil {
			r.b.log.Warn("making an image from a --cache-from step", "image", src.id, "err", err)
			continue
		}
		return id, true
	}
	return "", false
}

// continues tells whether img's history and layers begin with parent's
// and go on after them.
func continues(img, parent dockerspec.DockerOCIImage) bool {
	if len(img.History) <= len(parent.History) || len(img.RootFS.DiffIDs) < len(parent.RootFS.DiffIDs) {
		return false
	}
	for i, h := range parent.History {
		if !sameHistory(h, img.History[i]) {
			return false
		}
	}
	return slices.Equal(parent.RootFS.DiffIDs, img.RootFS.DiffIDs[:len(parent.RootFS.DiffIDs)])
}

func sameHistory(a, b ocispec.History) bool {
	sameTime := (a.Created == nil) == (b.Created == nil) && (a.Created == nil || a.Created.Equal(*b.Created))
	return sameTime && a.CreatedBy == b.CreatedBy && a.Author == b.Author && a.Comment == b.Comment && a.EmptyLayer == b.EmptyLayer
}

// restoreStep makes the image of the step src's history entry after
// parent's stands for: parent's layers and history plus that entry and
// its layer, with the step's config; those layers are all in the store
// already.
func (r *run) restoreStep(s *stage, parent, src dockerspec.DockerOCIImage) (string, error) {
	n := len(parent.History)
	entry := src.History[n]
	diffIDs := slices.Clone(parent.RootFS.DiffIDs)
	if !entry.EmptyLayer {
		i := 0
		for _, h := range src.History[:n] {
			if !h.EmptyLayer {
				i++
			}
		}
		if i >= len(src.RootFS.DiffIDs) {
			return "", fmt.Errorf("history has more layers than the rootfs")
		}
		diffIDs = append(diffIDs, src.RootFS.DiffIDs[i])
	}
	cfg := dockerspec.DockerOCIImage{Image: ocispec.Image{Created: entry.Created, Author: src.Author, Platform: src.Platform,
		RootFS:  ocispec.RootFS{Type: "layers", DiffIDs: append([]digest.Digest{}, diffIDs...)},
		History: append(slices.Clone(parent.History), entry)},
		Config: s.config}
	id, err := r.b.images.AddImage(cfg, digest.Digest(s.imageID))
	return id.String(), err
}
