package containerfs

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// ExtractOptions are the options of PUT /containers/{id}/archive.
type ExtractOptions struct {
	// NoOverwriteDirNonDir refuses to replace a directory with a
	// non-directory and the reverse.
	NoOverwriteDirNonDir bool
	// Chown, when set, owns every entry to UID:GID instead of the tar's
	// owners (copyUIDGID).
	Chown    bool
	UID, GID int
	// Writable checks that the resolved extraction directory may be
	// written to (read-only rootfs or volume).
	Writable func(dir string) error
}

// ErrNotDirectory is the error for an extraction point that is not a directory.
var ErrNotDirectory = errdefs.ErrInvalidArgument.WithMessage("extraction point is not a directory")

// Extract unpacks the tar r into the directory path of the view (symlinks
// in path are followed, inside the container), as PUT
// /containers/{id}/archive.
func (v *View) Extract(r io.Reader, path string, opts ExtractOptions) error {
	return v.Do(func() error {
		dir, err := filepath.EvalSymlinks(filepath.Join("/", path))
		if err != nil {
			return err
		}
		fi, err := os.Lstat(dir)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return ErrNotDirectory
		}
		if opts.Writable != nil {
			if err := opts.Writable(dir); err != nil {
				return err
			}
		}
		return Untar(r, dir, opts)
	})
}

// Untar unpacks r into dest. It refuses entries that climb out of dest,
// symlinks whose target leaves dest and hardlinks to files outside it. It
// is safe against a concurrently changing dest only when the caller's root
// is the container's (inside a View): then whatever a symlink says, the
// kernel resolves it inside the container.
func Untar(r io.Reader, dest string, opts ExtractOptions) error {
	tr := tar.NewReader(r)
	u := untarrer{dest: filepath.Clean(dest), opts: opts, buf: make([]byte, 256<<10)}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return invalid("reading tar: %v", err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return err
		}
	}
	return u.setDirTimes()
}

type untarrer struct {
	dest string
	opts ExtractOptions
	dirs []*tar.Header // directory times are set last
	buf  []byte
}

func (u *untarrer) entry(hdr *tar.Header, content io.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader, tar.TypeXHeader:
		return nil
	}
	if isSparse(hdr) {
		// The docker CLI never sends them, and a few bytes of them can
		// expand to terabytes of zeros.
		return invalid("sparse file %q is not supported", hdr.Name)
	}
	p, err := u.inside(hdr.Name, hdr.Name)
	if err != nil {
		return err
	}
	if p == u.dest {
		return nil // the tar's root entry: dest exists already
	}
	if err := u.checkLinks(hdr, p); err != nil {
		return err
	}
	parent := filepath.Dir(p)
	if _, err := os.Lstat(parent); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return err
		}
	}
	if err := u.makeRoom(p, hdr); err != nil {
		return err
	}
	if err := u.create(p, hdr, content); err != nil {
		return fmt.Errorf("%s: %w", hdr.Name, err)
	}
	if hdr.Typeflag == tar.TypeLink {
		return nil
	}
	return u.setAttrs(p, hdr)
}

// inside joins name to dest, refusing a result outside dest.
func (u *untarrer) inside(name, what string) (string, error) {
	p := filepath.Join(u.dest, name)
	if p != u.dest && !strings.HasPrefix(p, strings.TrimSuffix(u.dest, "/")+"/") {
		return "", invalid("invalid tar entry %q: it would be outside of %q", what, u.dest)
	}
	return p, nil
}

// checkLinks refuses links that lead out of dest, as Docker does: a
// hardlink's target is a tar name, a symlink's target is taken relative to
// the link's directory.
func (u *untarrer) checkLinks(hdr *tar.Header, p string) error {
	switch hdr.Typeflag {
	case tar.TypeLink:
		if _, err := u.inside(hdr.Linkname, hdr.Name+" -> "+hdr.Linkname); err != nil {
			return invalid("invalid hardlink %q -> %q", hdr.Name, hdr.Linkname)
		}
	case tar.TypeSymlink:
		target := filepath.Join(filepath.Dir(p), hdr.Linkname)
		if target != u.dest && !strings.HasPrefix(target, strings.TrimSuffix(u.dest, "/")+"/") {
			return invalid("invalid symlink %q -> %q", hdr.Name, hdr.Linkname)
		}
	}
	return nil
}

// makeRoom removes what is at p unless both it and the entry are
// directories (they merge).
func (u *untarrer) makeRoom(p string, hdr *tar.Header) error {
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	isDir := hdr.Typeflag == tar.TypeDir
	if u.opts.NoOverwriteDirNonDir {
		if fi.IsDir() && !isDir {
			return invalid("cannot overwrite directory %q with non-directory %q", p, hdr.Name)
		}
		if !fi.IsDir() && isDir {
			return invalid("cannot overwrite non-directory %q with directory %q", p, hdr.Name)
		}
	}
	if fi.IsDir() && isDir {
		return nil
	}
	return os.RemoveAll(p)
}

func (u *untarrer) create(p string, hdr *tar.Header, content io.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		return nil
	case tar.TypeReg:
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
		if err != nil {
			return err
		}
		_, err = io.CopyBuffer(f, content, u.buf)
		return errors.Join(err, f.Close())
	case tar.TypeSymlink:
		return os.Symlink(hdr.Linkname, p)
	case tar.TypeLink:
		target, _ := u.inside(hdr.Linkname, hdr.Linkname)
		return os.Link(target, p)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		mode := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
		return unix.Mknod(p, mode|0o600, int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))))
	}
	return invalid("unhandled tar header type %d for %q", hdr.Typeflag, hdr.Name)
}

// setAttrs gives p the tar's owner, xattrs, mode and times, in that order
// (chown clears setuid bits).
func (u *untarrer) setAttrs(p string, hdr *tar.Header) error {
	uid, gid := hdr.Uid, hdr.Gid
	if u.opts.Chown {
		uid, gid = u.opts.UID, u.opts.GID
	}
	if err := os.Lchown(p, uid, gid); err != nil {
		return err
	}
	for key, value := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(key, "SCHILY.xattr.")
		if !ok || strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.") {
			continue
		}
		err := unix.Lsetxattr(p, name, []byte(value), 0)
		if err != nil && !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.ENOTSUP) {
			return fmt.Errorf("xattr %s: %w", name, err)
		}
	}
	if hdr.Typeflag == tar.TypeSymlink {
		return setTimes(p, hdr)
	}
	if err := unix.Fchmodat(unix.AT_FDCWD, p, uint32(hdr.Mode)&0o7777, 0); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeDir {
		u.dirs = append(u.dirs, hdr)
		return nil
	}
	return setTimes(p, hdr)
}

func (u *untarrer) setDirTimes() error {
	for _, hdr := range u.dirs {
		p, _ := u.inside(hdr.Name, hdr.Name)
		if err := setTimes(p, hdr); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
	}
	return nil
}

func setTimes(p string, hdr *tar.Header) error {
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	ts := []unix.Timespec{timespec(atime), timespec(hdr.ModTime)}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func timespec(t time.Time) unix.Timespec {
	if t.IsZero() {
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	return unix.NsecToTimespec(t.UnixNano())
}

func invalid(format string, args ...any) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, args...))
}

func isSparse(hdr *tar.Header) bool {
	for key := range hdr.PAXRecords {
		if strings.HasPrefix(key, "GNU.sparse.") {
			return true
		}
	}
	return hdr.Typeflag == tar.TypeGNUSparse
}
