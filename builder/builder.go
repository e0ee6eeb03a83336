// Package builder builds images from Dockerfiles, as Docker's classic
// builder behind POST /build: each step makes an image (RUN in a real
// container through the daemon, COPY/ADD/WORKDIR in a scratch read-write
// layer, metadata steps as a config change with an empty history entry),
// and a step is reused when an earlier build made the same one (see cache.go).
//
// On disk, under <data-root>/builder:
//
//	cache/<key>   the image ID an earlier build made for a step key
//	scratch/<id>  a read-write layer a step is using (removed at start if left)
//	tmp/          build contexts and downloads; emptied at start
package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/berth/berth/api"
	"github.com/berth/berth/builder/buildcontext"
	"github.com/berth/berth/builder/dockerfile"
	"github.com/berth/berth/daemon"
	"github.com/berth/berth/image"
	"github.com/berth/berth/layer"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	buildtypes "github.com/moby/moby/api/types/build"
)

// Builder runs builds. It is safe for concurrent use.
type Builder struct {
	root   string
	images *image.Service
	dist   *image.Distribution
	layers *layer.Store
	ctrs   *daemon.Containers
	cache  *cache
	log    *slog.Logger

	// mu guards builds: the cancel functions of builds in flight, by ID.
	mu     sync.Mutex
	builds map[string]context.CancelFunc
}

// New opens the builder's directory under root (<data-root>/builder).
func New(root string, images *image.Service, dist *image.Distribution, layers *layer.Store, ctrs *daemon.Containers, log *slog.Logger) (*Builder, error) {
	if err := os.RemoveAll(filepath.Join(root, "tmp")); err != nil {
		return nil, err
	}
	for _, d := range []string{"tmp", "cache"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			return nil, err
		}
	}
	b := &Builder{root: root, images: images, dist: dist, layers: layers, ctrs: ctrs,
		cache: &cache{dir: filepath.Join(root, "cache"), images: images}, log: log, builds: map[string]context.CancelFunc{}}
	if err := b.removeLeftScratch(); err != nil {
		return nil, err
	}
	return b, nil
}

// Build builds the context body as opts say and returns the image ID.
// Errors before the first message of the stream are returned without
// sending anything, so that the API answers them with a status.
func (b *Builder) Build(ctx context.Context, body io.Reader, opts Options) (string, error) {
	if opts.Out == nil {
		opts.Out = api.Discard
	}
	if opts.Dockerfile == "" {
		opts.Dockerfile = "Dockerfile"
	}
	tags, err := parseTags(opts.Tags)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(filepath.Join(b.root, "tmp"), "context-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := buildcontext.Extract(body, dir, opts.Dockerfile); err != nil {
		return "", err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	content, err := readDockerfile(root, opts.Dockerfile)
	if err != nil {
		return "", err
	}
	patterns, err := buildcontext.ReadDockerignore(root)
	if err != nil {
		return "", err
	}
	if err := buildcontext.RemoveIgnored(root, patterns); err != nil {
		return "", err
	}
	df, err := dockerfile.Parse(content)
	if err != nil {
		return "", err
	}
	ctx, cancel := b.register(ctx, opts.BuildID)
	defer cancel()
	r := &run{b: b, opts: opts, df: df, context: root, out: &output{p: opts.Out, quiet: opts.Quiet}}
	if !opts.NoCache {
		r.sources = b.cacheSources(ctx, opts.CacheFrom)
	}
	id, err := r.build(ctx)
	if err != nil {
		return "", err
	}
	return id, b.finish(ctx, r, id, tags)
}

// finish reports the result and tags it.
func (b *Builder) finish(ctx context.Context, r *run, id string, tags []reference.NamedTagged) error {
	r.out.aux(id)
	r.out.printf("Successfully built %s\n", shortID(id))
	for _, t := range tags {
		if err := b.images.Tag(ctx, id, t.Name(), t.Tag()); err != nil {
			return err
		}
		r.out.printf("Successfully tagged %s\n", reference.FamiliarString(t))
	}
	if r.opts.Quiet {
		r.out.p.Send(api.Message{Stream: id + "\n"})
	}
	return nil
}

// parseTags checks the t parameters before any work, as Docker.
func parseTags(tags []string) ([]reference.NamedTagged, error) {
	var out []reference.NamedTagged
	for _, t := range tags {
		if t == "" {
			continue
		}
		named, err := reference.ParseNormalizedNamed(t)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		if _, ok := named.(reference.Canonical); ok {
			return nil, errdefs.ErrInvalidArgument.WithMessage("build tag cannot contain a digest")
		}
		tagged, ok := reference.TagNameOnly(named).(reference.NamedTagged)
		if !ok {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid reference format: %s", t))
		}
		out = append(out, tagged)
	}
	return out, nil
}

// readDockerfile reads the Dockerfile from the context; like Docker, a
// missing "Dockerfile" may be spelt "dockerfile".
func readDockerfile(root *os.Root, name string) ([]byte, error) {
	rel, err := buildcontext.CleanPath(name)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("Cannot locate specified Dockerfile: " + name)
	}
	b, err := root.ReadFile(rel)
	if errors.Is(err, fs.ErrNotExist) && rel == "Dockerfile" {
		b, err = root.ReadFile("dockerfile")
	}
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("Cannot locate specified Dockerfile: " + name)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage("the Dockerfile (" + name + ") cannot be empty")
	}
	return b, nil
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// register makes the build cancellable by its ID.
func (b *Builder) register(ctx context.Context, id string) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	if id == "" {
		return ctx, cancel
	}
	b.mu.Lock()
	b.builds[id] = cancel
	b.mu.Unlock()
	return ctx, func() {
		b.mu.Lock()
		delete(b.builds, id)
		b.mu.Unlock()
		cancel()
	}
}

// Cancel stops the build with the given ID, as GET /build/cancel.
func (b *Builder) Cancel(id string) error {
	b.mu.Lock()
	cancel, ok := b.builds[id]
	b.mu.Unlock()
	if !ok {
		return errdefs.ErrNotFound.WithMessage("no such build: " + id)
	}
	cancel()
	return nil
}

// PruneCache forgets every step key, as POST /build/prune. It answers as
// dockerd does after classic builds (nothing deleted, 0 bytes reclaimed),
// consistent with system df, which lists no build cache records: the
// cache is images, which stay and are counted and pruned as images; the
// keys are a few bytes each.
func (b *Builder) PruneCache(ctx context.Context) (buildtypes.CachePruneReport, error) {
	des, err := os.ReadDir(b.cache.dir)
	if err != nil {
		return buildtypes.CachePruneReport{}, err
	}
	for _, de := range des {
		if err := os.Remove(filepath.Join(b.cache.dir, de.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return buildtypes.CachePruneReport{}, err
		}
	}
	return buildtypes.CachePruneReport{}, nil
}
