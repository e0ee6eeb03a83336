package containerfs

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Archive writes to w a tar of absPath in the view, as GET
// /containers/{id}/archive: a directory's entries are named below the
// path's base name ("dir/", "dir/a"; "./a" for "dir/."), anything else is
// one entry under its base name. A final symlink is archived as a symlink.
func (v *View) Archive(w io.Writer, absPath string) error {
	return v.Do(func() error {
		fi, err := os.Lstat(absPath)
		if err != nil {
			return err
		}
		tw := newTarWriter(w)
		name := filepath.Base(absPath)
		if fi.IsDir() {
			err = tw.addTree(absPath, name)
		} else {
			err = tw.add(absPath, name, fi)
		}
		return errors.Join(err, tw.Close())
	})
}

// Export writes the whole filesystem of the view as a tar, names relative
// to its root, as GET /containers/{id}/export.
func (v *View) Export(w io.Writer) error {
	return v.Do(func() error {
		tw := newTarWriter(w)
		return errors.Join(tw.addTree("/", ""), tw.Close())
	})
}

type tarWriter struct {
	*tar.Writer
	links map[uint64]string // inode -> first name, for hardlinks
	buf   []byte
}

func newTarWriter(w io.Writer) *tarWriter {
	return &tarWriter{Writer: tar.NewWriter(w), links: map[uint64]string{}, buf: make([]byte, 256<<10)}
}

// addTree adds dir and everything below it, named prefix/<relative path>
// (the root itself is skipped when prefix is empty). Symlinks are never
// followed.
func (tw *tarWriter) addTree(dir, prefix string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := prefix
		switch {
		case rel == "." && prefix == "":
			return nil
		case prefix == "":
			name = rel
		case rel != ".":
			name = prefix + "/" + rel
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed meanwhile
		}
		if err != nil {
			return err
		}
		if err := tw.add(p, name, fi); err != nil {
			return err
		}
		if d.IsDir() && !fi.IsDir() {
			return fs.SkipDir // replaced meanwhile: do not descend into what it is now
		}
		return nil
	})
}

// add writes one entry for the file at p, named name.
func (tw *tarWriter) add(p, name string, fi fs.FileInfo) error {
	if fi.Mode()&fs.ModeSocket != 0 {
		return nil // tar has no sockets (Docker skips them too)
	}
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Name = name
	if fi.IsDir() && !strings.HasSuffix(name, "/") {
		hdr.Name += "/"
	}
	hdr.Uname, hdr.Gname = "", ""
	hdr.ModTime = fi.ModTime().Truncate(time.Second)
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.Format = tar.FormatPAX
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st != nil {
		hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
		if fi.Mode().IsRegular() && st.Nlink > 1 {
			if first, ok := tw.links[st.Ino]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				tw.links[st.Ino] = hdr.Name
			}
		}
	}
	if capability, err := lgetxattr(p, "security.capability"); err == nil && len(capability) > 0 {
		hdr.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": string(capability)}
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
		return nil
	}
	return tw.copyFile(p, hdr.Size)
}

// copyFile writes the content of the regular file p: never more than size
// bytes (the file may grow meanwhile), zero-padded if it shrank.
func (tw *tarWriter) copyFile(p string, size int64) error {
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	// Whatever was checked by name, read only a regular file (never a
	// device node swapped in meanwhile).
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is no longer a regular file", p)
	}
	n, err := io.CopyBuffer(tw.Writer, io.LimitReader(f, size), tw.buf)
	if err != nil {
		return err
	}
	if n < size {
		_, err = io.CopyBuffer(tw.Writer, io.LimitReader(zeros{}, size-n), tw.buf)
	}
	return err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func lgetxattr(p, name string) ([]byte, error) {
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(p, name, buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}
