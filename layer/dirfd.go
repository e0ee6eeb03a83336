package layer

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// Entries are reached through directory file descriptors: an entry's parent
// is opened one component at a time with O_NOFOLLOW, and the entry itself is
// made with the *at system calls relative to that parent. A symlink anywhere
// in the parent path is refused, so no entry can land outside the layer,
// whatever symlinks earlier entries made.

const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

// cleanName turns a tar entry name into a clean path relative to the layer
// root ("." for the root itself). Names that climb out of the layer are
// refused rather than rewritten.
func cleanName(name string) (string, error) {
	clean := path.Clean(strings.TrimLeft(name, "/"))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("path escapes layer: %w", errdefs.ErrInvalidArgument)
	}
	return clean, nil
}

// openDir opens the directory rel (a cleanName result) below root without
// following symlinks. With mkdir set, missing directories are made, mode 0755
// and owned by root, as Docker does for parents missing from a tar.
func openDir(root int, rel string, mkdir bool) (int, error) {
	fd, err := unix.Openat(root, ".", dirFlags, 0)
	if err != nil || rel == "." {
		return fd, err
	}
	walked := ""
	for name := range strings.SplitSeq(rel, "/") {
		walked = path.Join(walked, name)
		next, err := openChild(fd, name, mkdir)
		unix.Close(fd)
		if err != nil {
			return -1, fmt.Errorf("%s: %w", walked, err)
		}
		fd = next
	}
	return fd, nil
}

// openChild opens the directory name in dir, making it first if asked.
func openChild(dir int, name string, mkdir bool) (int, error) {
	fd, err := unix.Openat(dir, name, dirFlags, 0)
	if err == unix.ENOENT && mkdir {
		err = unix.Mkdirat(dir, name, 0o755)
		if err == nil {
			err = unix.Fchmodat(dir, name, 0o755, 0) // undo the umask
		}
		if err == nil {
			fd, err = unix.Openat(dir, name, dirFlags, 0)
		}
	}
	if err == unix.ELOOP || err == unix.ENOTDIR {
		return -1, fmt.Errorf("not a directory (symlinks are not followed): %w", errdefs.ErrInvalidArgument)
	}
	return fd, err
}

// fdPath names name in the directory open as dir through /proc, for the
// calls that have no *at form (lsetxattr, os.RemoveAll). The final component
// is name itself, so l* calls on it do not follow a symlink.
func fdPath(dir int, name string) string {
	return fmt.Sprintf("/proc/self/fd/%d/%s", dir, name)
}

// removeAt removes name in dir, recursively for a directory. It never
// follows symlinks.
func removeAt(dir int, name string) error {
	err := unix.Unlinkat(dir, name, 0)
	if err == unix.EISDIR {
		err = os.RemoveAll(fdPath(dir, name))
	}
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}
