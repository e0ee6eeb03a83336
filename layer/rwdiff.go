package layer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/vbatts/tar-split/archive/tar"
	"golang.org/x/sys/unix"
)

// RWDiff returns the container's changes as a layer tar (what commit
// registers): the upper dir's entries, with overlay's whiteouts turned into
// ".wh.<name>" files and opaque directories marked by ".wh..wh..opq", as
// Docker's overlay2 driver writes them. Files are read through directory
// descriptors and never through a symlink.
func (s *Store) RWDiff(id string) (io.ReadCloser, error) {
	if _, err := s.lowerDirs(id); err != nil {
		return nil, err
	}
	upper, err := unix.Open(s.RWDiffDir(id), dirFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("container layer %s: %w", id, err)
	}
	pr, pw := io.Pipe()
	go func() {
		defer unix.Close(upper)
		w := &diffWriter{tw: tar.NewWriter(pw), links: map[uint64]string{}, buf: make([]byte, 256<<10)}
		err := walkTree(upper, "", w.add)
		if err == nil {
			err = w.tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

type diffWriter struct {
	tw    *tar.Writer
	links map[uint64]string // inode -> first name, for hardlinks
	buf   []byte
}

func (w *diffWriter) add(parent int, rel, name string, st *unix.Stat_t) error {
	if isWhiteout(st) {
		return w.tw.WriteHeader(&tar.Header{Name: path.Join(path.Dir(rel), whiteoutPrefix+name), Typeflag: tar.TypeReg,
			Mode: 0o600, ModTime: statTime(st.Mtim), Format: tar.FormatPAX})
	}
	hdr := &tar.Header{Name: rel, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: statTime(st.Mtim), Format: tar.FormatPAX}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		hdr.Typeflag, hdr.Name = tar.TypeDir, rel+"/"
	case unix.S_IFREG:
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
		if st.Nlink > 1 {
			if first, ok := w.links[st.Ino]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				w.links[st.Ino] = rel
			}
		}
	case unix.S_IFLNK:
		target, err := readlinkAt(parent, name)
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	case unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO:
		hdr.Typeflag = map[uint32]byte{unix.S_IFCHR: tar.TypeChar, unix.S_IFBLK: tar.TypeBlock, unix.S_IFIFO: tar.TypeFifo}[st.Mode&unix.S_IFMT]
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	default:
		return nil // sockets
	}
	buf := make([]byte, 256)
	if n, err := unix.Lgetxattr(fdPath(parent, name), "security.capability", buf); err == nil && n > 0 {
		hdr.PAXRecords = map[string]string{paxXattr + "security.capability": string(buf[:n])}
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	switch {
	case hdr.Typeflag == tar.TypeDir && isOpaque(parent, name):
		return w.tw.WriteHeader(&tar.Header{Name: rel + "/" + opaqueMarker, Typeflag: tar.TypeReg,
			Mode: hdr.Mode, Uid: hdr.Uid, Gid: hdr.Gid, ModTime: hdr.ModTime, Format: tar.FormatPAX})
	case hdr.Typeflag == tar.TypeReg && hdr.Size > 0:
		return w.copyFile(parent, name, hdr.Size)
	}
	return nil
}

// copyFile writes exactly size bytes of the regular file name in parent
// (zero-padded if it shrank meanwhile).
func (w *diffWriter) copyFile(parent int, name string, size int64) error {
	fd, err := unix.Openat(parent, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return errors.New(name + " is no longer a regular file")
	}
	n, err := io.CopyBuffer(w.tw, io.LimitReader(f, size), w.buf)
	if err != nil {
		return err
	}
	for ; n < size; n++ {
		if _, err := w.tw.Write([]byte{0}); err != nil {
			return err
		}
	}
	return nil
}

func readlinkAt(dir int, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dir, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func statTime(ts unix.Timespec) time.Time { return time.Unix(ts.Sec, ts.Nsec).UTC() }
