package layer

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/vbatts/tar-split/archive/tar"
	"golang.org/x/sys/unix"
)

// setAttrs gives the entry base in parent (name in the layer) the owner,
// xattrs, mode and times of hdr, in that order: chown clears setuid bits and
// file capabilities, so it goes first. Directory times are only recorded.
func (a *applier) setAttrs(parent int, base, name string, hdr *tar.Header) error {
	if err := unix.Fchownat(parent, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if err := a.setXattrs(parent, base, hdr.PAXRecords); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeSymlink { // symlinks have no mode of their own
		if err := unix.Fchmodat(parent, base, uint32(hdr.Mode)&0o7777, 0); err != nil {
			return err
		}
	}
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	if hdr.Typeflag == tar.TypeDir {
		a.dirs = append(a.dirs, dirTime{name, atime, hdr.ModTime})
		return nil
	}
	return setTimes(parent, base, atime, hdr.ModTime)
}

// setXattrs sets the xattrs of the PAX records. Those the filesystem refuses
// are skipped; overlay's own are ignored, as they could forge whiteouts.
func (a *applier) setXattrs(parent int, base string, pax map[string]string) error {
	for key, value := range pax {
		name, ok := strings.CutPrefix(key, paxXattr)
		if !ok || strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.") {
			continue
		}
		err := unix.Lsetxattr(fdPath(parent, base), name, []byte(value), 0)
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOTSUP) {
			a.skippedXattrs++
			continue
		}
		if err != nil {
			return fmt.Errorf("xattr %s: %w", name, err)
		}
	}
	return nil
}

// setDirTimes sets the recorded directory times, once no entry can change them.
func (a *applier) setDirTimes() error {
	for _, d := range a.dirs {
		parent, err := openDir(a.root, path.Dir(d.name), false)
		if err != nil {
			continue // replaced by a later entry
		}
		base := path.Base(d.name)
		var st unix.Stat_t
		err = unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			err = setTimes(parent, base, d.atime, d.mtime)
		}
		unix.Close(parent)
		if err != nil && err != unix.ENOENT {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	return nil
}

func setTimes(parent int, base string, atime, mtime time.Time) error {
	ts := []unix.Timespec{timespec(atime), timespec(mtime)}
	return unix.UtimesNanoAt(parent, base, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func timespec(t time.Time) unix.Timespec {
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}
