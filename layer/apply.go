package layer

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/vbatts/tar-split/archive/tar"
	"golang.org/x/sys/unix"
)

// Names with a special meaning in layer tars (the AUFS convention Docker uses).
const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh."
	opaqueMarker   = ".wh..wh..opq"
	opaqueXattr    = "trusted.overlay.opaque"
	paxXattr       = "SCHILY.xattr."
)

// applier writes the entries of a layer tar into a diff directory the way
// Docker's overlay2 driver stores it: whiteouts become 0/0 character devices
// and opaque markers the trusted.overlay.opaque xattr.
type applier struct {
	root          int       // the diff directory
	size          int64     // bytes of content written: files, symlink targets
	skippedXattrs int       // xattrs the filesystem refused
	dirs          []dirTime // directory times, set last: later entries change them
	buf           []byte
}

func newApplier(root int) *applier {
	return &applier{root: root, buf: make([]byte, 128<<10)}
}

type dirTime struct {
	name         string
	atime, mtime time.Time
}

// apply writes one entry, replacing whatever was at its place.
func (a *applier) apply(hdr *tar.Header, content io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	dir, base := path.Dir(name), path.Base(name)
	if isSparse(hdr) { // tar-split cannot give them back, and their holes can be huge
		return invalid("sparse files are not supported")
	}
	// Diff can only give back content stored under the entry's own name.
	if hdr.Size != 0 && (hdr.Typeflag != tar.TypeReg || strings.HasPrefix(base, whiteoutPrefix)) {
		return invalid("%d bytes of content on an entry that keeps none (type %q)", hdr.Size, string(hdr.Typeflag))
	}
	switch {
	case name == ".":
		if hdr.Typeflag != tar.TypeDir {
			return invalid("the layer root must be a directory")
		}
		return nil // as in Docker, the root entry changes nothing
	case base == opaqueMarker:
		return a.opaque(dir)
	case strings.HasPrefix(base, whiteoutMeta):
		return nil // other AUFS metadata
	case strings.HasPrefix(base, whiteoutPrefix):
		return a.whiteout(dir, strings.TrimPrefix(base, whiteoutPrefix), hdr)
	}
	parent, err := openDir(a.root, dir, true)
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	if err := makeRoom(parent, base, hdr.Typeflag == tar.TypeDir); err != nil {
		return err
	}
	if err := a.create(parent, base, hdr, content); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeLink {
		return nil // a hardlink shares its target's inode and attributes
	}
	return a.setAttrs(parent, base, name, hdr)
}

// makeRoom removes what is at base in parent, unless both it and the new entry
// are directories: then they merge.
func makeRoom(parent int, base string, dir bool) error {
	var st unix.Stat_t
	err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return err
	}
	if dir && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return nil
	}
	return removeAt(parent, base)
}

// create makes the entry itself, without its attributes.
func (a *applier) create(parent int, base string, hdr *tar.Header, content io.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(parent, base, 0o700); err != nil && err != unix.EEXIST {
			return err
		}
		return nil
	case tar.TypeReg:
		return a.writeFile(parent, base, content)
	case tar.TypeSymlink:
		// Docker counts a symlink's own size (its target's length) too.
		a.size += int64(len(hdr.Linkname))
		return unix.Symlinkat(hdr.Linkname, parent, base)
	case tar.TypeLink:
		return a.link(parent, base, hdr.Linkname)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		return unix.Mknodat(parent, base, nodeType[hdr.Typeflag]|0o600, int(dev))
	}
	return invalid("unsupported entry type %q", string(hdr.Typeflag))
}

var nodeType = map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}

// writeFile creates base in parent with the content.
func (a *applier) writeFile(parent int, base string, content io.Reader) error {
	const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(parent, base, flags, 0o600)
	if err != nil {
		return err
	}
	f := fileWriter{fd}
	n, err := io.CopyBuffer(f, content, a.buf)
	a.size += n
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	return err
}

// fileWriter writes to a raw descriptor (an os.File would bring its own
// buffer to every copy).
type fileWriter struct{ fd int }

func (w fileWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(w.fd, p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

// link makes base in parent a hardlink to target, an entry already applied.
func (a *applier) link(parent int, base, target string) error {
	clean, err := cleanName(target)
	if err == nil {
		var tparent int
		tparent, err = openDir(a.root, path.Dir(clean), false)
		if err == nil {
			err = unix.Linkat(tparent, path.Base(clean), parent, base, 0)
			unix.Close(tparent)
		}
	}
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPERM) { // missing, or a directory
		err = fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	if err != nil {
		return fmt.Errorf("hardlink target %q: %w", target, err)
	}
	return nil
}

// opaque marks the directory dir as hiding the content of lower layers.
func (a *applier) opaque(dir string) error {
	fd, err := openDir(a.root, dir, true)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Fsetxattr(fd, opaqueXattr, []byte("y"), 0)
}

// whiteout hides name of lower layers in dir with a 0/0 character device.
func (a *applier) whiteout(dir, name string, hdr *tar.Header) error {
	if name == "" || name == "." || name == ".." {
		return invalid("bad whiteout")
	}
	parent, err := openDir(a.root, dir, true)
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	if err := removeAt(parent, name); err != nil {
		return err
	}
	if err := unix.Mknodat(parent, name, unix.S_IFCHR, 0); err != nil {
		return err
	}
	return unix.Fchownat(parent, name, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW)
}

func isSparse(hdr *tar.Header) bool {
	for key := range hdr.PAXRecords {
		if strings.HasPrefix(key, "GNU.sparse.") {
			return true
		}
	}
	return hdr.Typeflag == tar.TypeGNUSparse
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errdefs.ErrInvalidArgument)
}
