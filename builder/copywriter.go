package builder

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/berth/berth/builder/buildcontext"
	securejoin "github.com/cyphar/filepath-securejoin"
)

// copyWriter writes sources into an image's root filesystem. Destination
// directories are resolved with securejoin (symlinks followed inside the
// image root); entries below them are written through an os.Root.
type copyWriter struct {
	rootfs string
	own    owner
	chmod  *fs.FileMode
}

// dirRoot resolves and creates dir in the image and opens it as a root.
func (w *copyWriter) dirRoot(dir string) (*os.Root, error) {
	p, err := securejoin.SecureJoin(w.rootfs, dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		return nil, err
	}
	return os.OpenRoot(p)
}

func (w *copyWriter) isDir(p string) bool {
	resolved, err := securejoin.SecureJoin(w.rootfs, p)
	if err != nil {
		return false
	}
	st, err := os.Stat(resolved)
	return err == nil && st.IsDir()
}

func (w *copyWriter) copy(src copySource, dest string) error {
	switch {
	case src.archive:
		dst, err := w.dirRoot(dest)
		if err != nil {
			return err
		}
		defer dst.Close()
		r, c, ok := buildcontext.OpenArchive(src.root, src.path)
		if !ok {
			return fmt.Errorf("%s is no longer an archive", src.path)
		}
		defer c.Close()
		return buildcontext.Untar(r, dst, "")
	case src.isDir:
		dst, err := w.dirRoot(dest)
		if err != nil {
			return err
		}
		defer dst.Close()
		return buildcontext.Walk(src.root, src.path, func(e buildcontext.Entry) error {
			if e.Rel == "" {
				return nil
			}
			return w.put(dst, e.Rel, e, src.root, path.Join(src.path, e.Rel))
		})
	}
	target := dest
	if strings.HasSuffix(dest, "/") || w.isDir(dest) {
		target = path.Join(dest, path.Base(src.path))
	}
	dst, err := w.dirRoot(path.Dir(target))
	if err != nil {
		return err
	}
	defer dst.Close()
	st, err := src.root.Stat(src.path)
	if err != nil {
		return err
	}
	return w.put(dst, path.Base(target), buildcontext.Entry{Info: st}, src.root, src.path)
}

// put writes one entry at rel in dst, replacing what is there unless both
// are directories.
func (w *copyWriter) put(dst *os.Root, rel string, e buildcontext.Entry, src *os.Root, srcPath string) error {
	mode := e.Info.Mode()
	perm := mode.Perm()
	if w.chmod != nil {
		perm = *w.chmod
	}
	if st, err := dst.Lstat(rel); err == nil && !(st.IsDir() && mode.IsDir()) {
		if err := dst.RemoveAll(rel); err != nil {
			return err
		}
	}
	switch {
	case mode.IsDir():
		if err := dst.Mkdir(rel, perm); err != nil && !os.IsExist(err) {
			return err
		}
		if err := dst.Chmod(rel, perm); err != nil {
			return err
		}
	case mode&fs.ModeSymlink != 0:
		if err := dst.Symlink(e.Target, rel); err != nil {
			return err
		}
	case mode.IsRegular():
		if err := copyFile(dst, rel, src, srcPath, perm); err != nil {
			return err
		}
		if err := dst.Chtimes(rel, e.Info.ModTime(), e.Info.ModTime()); err != nil {
			return err
		}
	default:
		return nil // sockets, devices: not copied
	}
	return dst.Lchown(rel, w.own.uid, w.own.gid)
}

func copyFile(dst *os.Root, rel string, src *os.Root, srcPath string, perm fs.FileMode) error {
	in, err := src.Open(srcPath)
	if err != nil {
		return err
	}
	defer in.Close()
	return buildcontext.WriteFile(dst, rel, in, perm)
}
