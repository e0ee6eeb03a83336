package volume

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/berth/berth/mountinfo"
	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// The local driver's options, as Docker's: type, device and o describe a
// filesystem to mount on the volume's _data when a container using it
// starts (tmpfs, a bind of a host path with o=bind, a block device, nfs);
// it is unmounted when the last such container stops.

// checkDriverOpts validates the local driver's options as Docker does.
func checkDriverOpts(opts map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		switch k {
		case "type", "device", "o":
		case "size":
			return errdefs.ErrInvalidArgument.WithMessage("quota size requested but no quota support")
		default:
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid option: %q", k))
		}
	}
	required := map[string][]string{"device": {"type"}, "type": {"device"}, "o": {"device", "type"}}
	for _, k := range []string{"device", "o", "type"} {
		if _, ok := opts[k]; !ok {
			continue
		}
		for _, need := range required[k] {
			if _, ok := opts[need]; !ok {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("missing required option: %q", need))
			}
		}
	}
	return nil
}

// needsMount reports whether the volume is a filesystem mounted on use.
func (e *entry) needsMount() bool {
	return e.meta.Options["type"] != "" || e.meta.Options["device"] != ""
}

// mountFlags are the mount(8) options of o that are flags, not data.
var mountFlags = map[string]uintptr{
	"ro": unix.MS_RDONLY, "rw": 0, "bind": unix.MS_BIND, "rbind": unix.MS_BIND | unix.MS_REC,
	"nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV, "noexec": unix.MS_NOEXEC, "sync": unix.MS_SYNCHRONOUS,
	"dirsync": unix.MS_DIRSYNC, "noatime": unix.MS_NOATIME, "nodiratime": unix.MS_NODIRATIME,
	"relatime": unix.MS_RELATIME, "strictatime": unix.MS_STRICTATIME, "mand": unix.MS_MANDLOCK,
	"suid": 0, "dev": 0, "exec": 0, "async": 0, "atime": 0, "defaults": 0,
}

// mountFS mounts the volume's filesystem on its _data directory.
func (s *Store) mountFS(e *entry) error {
	var flags uintptr
	var data []string
	for _, o := range strings.Split(e.meta.Options["o"], ",") {
		if f, ok := mountFlags[o]; ok {
			flags |= f
		} else if o != "" {
			data = append(data, o)
		}
	}
	device, fstype, target := e.meta.Options["device"], e.meta.Options["type"], s.Mountpoint(e.name)
	if device == "" {
		return errdefs.ErrInvalidArgument.WithMessage("missing device in volume options")
	}
	if err := unix.Mount(device, target, fstype, flags, strings.Join(data, ",")); err != nil {
		return fmt.Errorf("error while mounting volume '%s': failed to mount local volume: mount %s:%s, flags: %#x, data: %s: %w",
			target, device, target, flags, strings.Join(data, ","), err)
	}
	return nil
}

// unmountFS unmounts the volume's filesystem, if mounted.
func (s *Store) unmountFS(e *entry) error {
	target := s.Mountpoint(e.name)
	if mounted, err := mountinfo.IsMountPoint(target); err != nil || !mounted {
		return err
	}
	if err := unix.Unmount(target, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmounting volume %s: %w", e.name, err)
	}
	return nil
}
