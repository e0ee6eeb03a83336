package layer

import (
	"errors"
	"os"
	"path"
	"slices"

	"golang.org/x/sys/unix"
)

// walkTree calls fn for every entry below the directory open as dir,
// parents before children and siblings in name order. It goes down through
// directory descriptors and never follows a symlink, so a tree that a
// running container changes meanwhile cannot lead it elsewhere. rel is the
// path of dir in the tree ("" at its root).
func walkTree(dir int, rel string, fn func(parent int, rel, name string, st *unix.Stat_t) error) error {
	names, err := readNames(dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue // removed meanwhile
			}
			return err
		}
		childRel := path.Join(rel, name)
		if err := fn(dir, childRel, name, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue
		}
		child, err := unix.Openat(dir, name, dirFlags, 0)
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			continue // replaced meanwhile
		}
		if err != nil {
			return err
		}
		err = walkTree(child, childRel, fn)
		unix.Close(child)
		if err != nil {
			return err
		}
	}
	return nil
}

// readNames lists the directory open as dir, sorted.
func readNames(dir int) ([]string, error) {
	dup, err := unix.Dup(dir)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "dir")
	defer f.Close()
	if _, err := unix.Seek(dup, 0, 0); err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	slices.Sort(names)
	return names, err
}

// isWhiteout reports whether st is overlay's whiteout, a 0/0 character device.
func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// isOpaque reports whether the directory name in parent hides the lower layers' content.
func isOpaque(parent int, name string) bool {
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(fdPath(parent, name), opaqueXattr, buf)
	return err == nil && string(buf[:n]) == "y"
}
