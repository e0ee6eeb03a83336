package buildcontext

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/containerd/errdefs"
)

// Match returns the paths in root that the COPY/ADD source pattern names,
// cleaned and relative to root: the path itself, or every path matching
// its wildcards. Symlinks on the way are followed inside root only.
func Match(root *os.Root, pattern string) ([]string, error) {
	rel, err := CleanPath(pattern)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("forbidden path outside the build context: %s", pattern))
	}
	if !strings.ContainsAny(rel, "*?[") {
		if _, err := root.Stat(rel); err != nil {
			return nil, notFound(pattern, err)
		}
		return []string{rel}, nil
	}
	if _, err := path.Match(rel, ""); err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid source pattern %q: %v", pattern, err))
	}
	var out []string
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ok, _ := path.Match(rel, p); ok && p != "." {
			out = append(out, p)
		}
		if d.IsDir() && p != "." && strings.Count(p, "/") >= strings.Count(rel, "/") {
			return fs.SkipDir // deeper paths cannot match
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errdefs.ErrNotFound.WithMessage("no source files were specified")
	}
	return out, nil
}

func notFound(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "escapes") {
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("file not found in build context or excluded by .dockerignore: stat %s: file does not exist", name))
	}
	return err
}

// Entry is one file, directory or symlink under a source, named relative
// to the source ("" for the source itself).
type Entry struct {
	Rel    string
	Info   fs.FileInfo
	Target string // a symlink's target
}

// Walk calls fn for src (symlinks followed, inside root) and, when it is a
// directory, for everything below it, parents first; symlinks below src
// are reported as symlinks, not followed.
func Walk(root *os.Root, src string, fn func(Entry) error) error {
	st, err := root.Stat(src)
	if err != nil {
		return notFound(src, err)
	}
	if !st.IsDir() {
		return fn(Entry{Info: st})
	}
	return fs.WalkDir(root.FS(), src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, src), "/")
		if src == "." {
			rel = strings.TrimPrefix(p, ".")
			if p != "." {
				rel = p
			}
		}
		info, err := d.Info()
		if p == src {
			info, err = st, nil
		}
		if err != nil {
			return err
		}
		e := Entry{Rel: rel, Info: info}
		if info.Mode()&fs.ModeSymlink != 0 {
			if e.Target, err = root.Readlink(p); err != nil {
				return err
			}
		}
		return fn(e)
	})
}
