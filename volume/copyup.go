package volume

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/moby/api/types/mount"
	"golang.org/x/sys/unix"
)

// CopyUp fills an empty volume with what the image has at the mount's
// destination in rootfs, as Docker does the first time a volume is used.
// Binds, tmpfs and volume-nocopy mounts are left alone, as are volumes that
// already have content. The image path is resolved inside rootfs with
// securejoin and the tree is walked without following symlinks, so nothing
// outside rootfs is read. Hard links are copied as separate files.
func CopyUp(rootfs string, m Mount) error {
	if m.Type != mount.TypeVolume || m.NoCopy || m.Source == "" {
		return nil
	}
	if empty, err := isEmptyDir(m.Source); err != nil || !empty {
		return err
	}
	src, err := securejoin.SecureJoin(rootfs, m.Destination)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) || err == nil && !fi.IsDir() {
		return nil
	} else if err != nil {
		return err
	}
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		return copyEntry(path, filepath.Join(m.Source, rel), d)
	})
	if err != nil {
		return fmt.Errorf("copy image content of %s into volume %s: %w", m.Destination, m.Name, err)
	}
	return nil
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer func() { _ = f.Close() }()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// copyEntry copies one file, directory, symlink or special file with its
// mode, owner and modification time. dst of the walk's root exists already.
func copyEntry(src, dst string, d fs.DirEntry) error {
	fi, err := d.Info()
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: no stat data", src)
	}
	switch t := fi.Mode().Type(); {
	case t == fs.ModeDir:
		if err := os.Mkdir(dst, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	case t == fs.ModeSymlink:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
	case t.IsRegular():
		if err := copyFile(src, dst); err != nil {
			return err
		}
	default:
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return err
		}
	}
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSymlink {
		if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
			return err
		}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(st.Atim.Nano()), unix.NsecToTimespec(st.Mtim.Nano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func copyFile(src, dst string) error {
	in, err := os.OpenFile(src, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
