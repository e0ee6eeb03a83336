package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/berth/berth/api"
	"github.com/berth/berth/image"
	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
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

// commitImage makes the child of the stage's image with the stage's
// config, the layer tar diff (nil: none) and a history entry.
func (r *run) commitImage(ctx context.Context, s *stage, diff io.Reader, createdBy string) (string, error) {
	if diff == nil {
		diff = bytes.NewReader(emptyTar)
	}
	if s.imageID == "" {
		return r.loadFirstImage(ctx, s, diff, createdBy)
	}
	id, err := r.b.images.Commit(ctx, diff, image.CommitOptions{Author: s.author, Config: s.config,
		Parent: digest.Digest(s.imageID), CreatedBy: createdBy})
	return id.String(), err
}

// loadFirstImage makes the first image of a FROM scratch stage. The image
// service commits only onto a parent, so this goes through a load of a
// one-image docker-archive made here.
func (r *run) loadFirstImage(ctx context.Context, s *stage, diff io.Reader, createdBy string) (string, error) {
	f, err := os.CreateTemp(filepath.Join(r.b.root, "tmp"), "layer-")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(f, h), diff)
	if err != nil {
		return "", err
	}
	diffID := digest.NewDigest(digest.SHA256, h)
	now := time.Now().UTC()
	cfg := dockerspec.DockerOCIImage{Image: ocispec.Image{Created: &now, Author: s.author,
		Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}}},
		Config: s.config}
	empty := diffID == digest.FromBytes(emptyTar)
	if !empty {
		cfg.RootFS.DiffIDs = []digest.Digest{diffID}
	}
	cfg.History = []ocispec.History{{Created: &now, Author: s.author, CreatedBy: createdBy, EmptyLayer: empty}}
	configJSON, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	id := digest.FromBytes(configJSON)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeArchive(pw, id, configJSON, f, size, empty)) }()
	err = r.b.images.Load(ctx, pr, true, api.Discard)
	pr.CloseWithError(err)
	if err != nil {
		return "", err
	}
	if _, err := r.b.images.Resolve(ctx, id.String()); err != nil {
		return "", errdefs.ErrUnknown.WithMessage("image of the first step was not stored: " + err.Error())
	}
	return id.String(), nil
}

// writeArchive writes a docker-archive of one untagged image.
func writeArchive(w io.Writer, id digest.Digest, config []byte, layerFile *os.File, size int64, empty bool) error {
	tw := tar.NewWriter(w)
	configName := id.Encoded() + ".json"
	manifest := []map[string]any{{"Config": configName, "RepoTags": nil, "Layers": []string{}}}
	if !empty {
		manifest[0]["Layers"] = []string{"layer.tar"}
	}
	m, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"manifest.json", m}, {configName, config}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if !empty {
		if _, err := layerFile.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: "layer.tar", Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := io.Copy(tw, layerFile); err != nil {
			return err
		}
	}
	return tw.Close()
}
