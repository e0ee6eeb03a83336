package builder

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/berth/berth/builder/buildcontext"
	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// copyRequest is a COPY or ADD instruction, its words expanded.
type copyRequest struct {
	name         string // COPY or ADD
	sources      []string
	contents     []instructions.SourceContent // heredoc documents
	dest         string
	from         string
	chown, chmod string
	add          bool
}

// copySource is one source of a COPY/ADD: a path in a root (the context,
// an image's filesystem or a downloaded file's directory).
type copySource struct {
	root    *os.Root
	path    string
	isDir   bool
	archive bool // ADD of a local tar: extracted into the destination
}

// copyStep writes the sources into a new layer. Its cache key holds a
// digest of the sources' content and metadata.
func (r *run) copyStep(ctx context.Context, s *stage, req copyRequest) error {
	chmod, err := parseChmod(req.chmod)
	if err != nil {
		return err
	}
	root, release, err := r.sourceRoot(ctx, req.from)
	if err != nil {
		return err
	}
	defer release()
	var srcs []copySource
	for _, p := range req.sources {
		more, cleanup, err := r.resolveSource(ctx, root, p, req.add)
		defer cleanup()
		if err != nil {
			return fmt.Errorf("%s failed: %w", req.name, err)
		}
		srcs = append(srcs, more...)
	}
	if len(req.contents) > 0 {
		docs, cleanup, err := r.heredocSources(req.contents)
		defer cleanup()
		if err != nil {
			return err
		}
		srcs = append(srcs, docs...)
	}
	dest := req.dest
	if !path.IsAbs(dest) {
		dest = workdir(s, dest)
		if strings.HasSuffix(req.dest, "/") || req.dest == "." {
			dest += "/"
		}
	}
	multi := len(srcs) > 1 || strings.ContainsAny(strings.Join(req.sources, ""), "*?[")
	if multi && !strings.HasSuffix(dest, "/") {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("When using %s with more than one source file, the destination must be a directory and end with a /", req.name))
	}
	sum, kind, err := digestSources(srcs)
	if err != nil {
		return fmt.Errorf("%s failed: %w", req.name, err)
	}
	createdBy := nopComment(s, fmt.Sprintf("%s %s:%s in %s ", req.name, kind, sum, dest))
	return r.cachedStep(ctx, s, createdBy, req.chown+"\x00"+req.chmod, func() (string, error) {
		return r.inScratchLayer(ctx, s, createdBy, func(rootfs string) error {
			own, err := parseChown(rootfs, req.chown)
			if err != nil {
				return err
			}
			w := &copyWriter{rootfs: rootfs, own: own, chmod: chmod}
			for _, src := range srcs {
				if err := w.copy(src, dest); err != nil {
					return fmt.Errorf("%s failed: %w", req.name, err)
				}
			}
			return nil
		})
	})
}

// resolveSource expands one source word: a URL (ADD), a path or a
// wildcard pattern in root.
func (r *run) resolveSource(ctx context.Context, root *os.Root, word string, add bool) ([]copySource, func(), error) {
	if strings.HasPrefix(word, "http://") || strings.HasPrefix(word, "https://") {
		if !add {
			return nil, func() {}, errdefs.ErrInvalidArgument.WithMessage("source can't be a URL for COPY")
		}
		return r.download(ctx, word)
	}
	paths, err := buildcontext.Match(root, word)
	if err != nil {
		return nil, func() {}, err
	}
	var out []copySource
	for _, p := range paths {
		st, err := root.Stat(p)
		if err != nil {
			return nil, func() {}, err
		}
		src := copySource{root: root, path: p, isDir: st.IsDir()}
		if add && !src.isDir {
			if _, c, ok := buildcontext.OpenArchive(root, p); ok {
				c.Close()
				src.archive = true
			}
		}
		out = append(out, src)
	}
	return out, func() {}, nil
}

// heredocSources writes COPY/ADD heredoc documents (<<name) as files of
// mode 0644 named after them, as BuildKit does.
func (r *run) heredocSources(contents []instructions.SourceContent) ([]copySource, func(), error) {
	dir, err := os.MkdirTemp(filepath.Join(r.b.root, "tmp"), "heredoc-")
	if err != nil {
		return nil, func() {}, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, func() {}, err
	}
	cleanup := func() { root.Close(); os.RemoveAll(dir) }
	var out []copySource
	for _, c := range contents {
		name := path.Base(path.Clean("/" + c.Path))
		if name == "/" || name == "." {
			return nil, cleanup, errdefs.ErrInvalidArgument.WithMessage("invalid heredoc name " + c.Path)
		}
		if err := root.WriteFile(name, []byte(c.Data), 0o644); err != nil {
			return nil, cleanup, err
		}
		if err := root.Chmod(name, 0o644); err != nil {
			return nil, cleanup, err
		}
		out = append(out, copySource{root: root, path: name})
	}
	return out, cleanup, nil
}

// digestSources hashes the names, modes, link targets and contents of
// everything the sources hold; kind is Docker's history word for them.
func digestSources(srcs []copySource) (sum, kind string, err error) {
	h := sha256.New()
	for _, src := range srcs {
		fmt.Fprintf(h, "%s\x00%t\x00", path.Base(src.path), src.archive)
		err := buildcontext.Walk(src.root, src.path, func(e buildcontext.Entry) error {
			fmt.Fprintf(h, "%s\x00%o\x00%s\x00", e.Rel, e.Info.Mode(), e.Target)
			if !e.Info.Mode().IsRegular() {
				return nil
			}
			f, err := src.root.Open(path.Join(src.path, e.Rel))
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(h, f)
			return err
		})
		if err != nil {
			return "", "", err
		}
	}
	switch {
	case len(srcs) > 1:
		kind = "multi"
	case len(srcs) == 1 && srcs[0].isDir:
		kind = "dir"
	default:
		kind = "file"
	}
	return hex.EncodeToString(h.Sum(nil)), kind, nil
}

// workdirStep sets the working directory and creates it in the image,
// as Docker's classic builder does (an empty layer when it exists).
func (r *run) workdirStep(ctx context.Context, s *stage, c *instructions.WorkdirCommand) error {
	s.config.WorkingDir = workdir(s, c.Path)
	createdBy := nopComment(s, "WORKDIR "+s.config.WorkingDir)
	return r.cachedStep(ctx, s, createdBy, "", func() (string, error) {
		return r.inScratchLayer(ctx, s, createdBy, func(rootfs string) error {
			p, err := securejoin.SecureJoin(rootfs, s.config.WorkingDir)
			if err != nil {
				return err
			}
			return os.MkdirAll(p, 0o755)
		})
	})
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
