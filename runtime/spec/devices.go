package spec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultDeviceRules is the device cgroup of a container: deny everything,
// allow mknod of any node, and allow the devices the runtime creates (null,
// zero, full, random, urandom, tty, console, ptmx, pts). It is Docker's
// default spec with the rules runc appends to every container.
func defaultDeviceRules() []specs.LinuxDeviceCgroup {
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Access: "m"},
		{Allow: true, Type: "b", Access: "m"},
		allowChar(1, 3),    // null
		allowChar(1, 5),    // zero
		allowChar(1, 7),    // full
		allowChar(1, 8),    // random
		allowChar(1, 9),    // urandom
		allowChar(5, 0),    // tty
		allowChar(5, 1),    // console
		allowChar(5, 2),    // ptmx
		allowChar(136, -1), // pts/*
	}
}

// allowChar allows rwm on a character device; -1 is any minor.
func allowChar(major, minor int64) specs.LinuxDeviceCgroup {
	r := specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: &major, Access: "rwm"}
	if minor >= 0 {
		r.Minor = &minor
	}
	return r
}

// deviceRules returns the device cgroup: everything for a privileged
// container, else the defaults, the --device nodes with their permissions,
// and HostConfig.DeviceCgroupRules.
func deviceRules(hc *container.HostConfig) ([]specs.LinuxDeviceCgroup, error) {
	if hc.Privileged {
		return []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}, nil
	}
	rules := defaultDeviceRules()
	for _, m := range hc.Devices {
		_, mapped, err := deviceMapping(m)
		if err != nil {
			return nil, err
		}
		rules = append(rules, mapped...)
	}
	for _, s := range hc.DeviceCgroupRules {
		r, err := parseDeviceRule(s)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

var deviceRuleRE = regexp.MustCompile(`^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$`)

// parseDeviceRule parses a --device-cgroup-rule such as "c 13:* rwm".
func parseDeviceRule(s string) (specs.LinuxDeviceCgroup, error) {
	m := deviceRuleRE.FindStringSubmatch(s)
	if m == nil {
		return specs.LinuxDeviceCgroup{}, invalidf("invalid device cgroup rule format: '%s'", s)
	}
	r := specs.LinuxDeviceCgroup{Allow: true, Type: m[1], Access: m[4]}
	var err error
	if r.Major, err = deviceNumber(m[2]); err != nil {
		return r, invalidf("invalid major value in device cgroup rule format: '%s'", s)
	}
	if r.Minor, err = deviceNumber(m[3]); err != nil {
		return r, invalidf("invalid minor value in device cgroup rule format: '%s'", s)
	}
	return r, nil
}

// deviceNumber parses a major or minor number; "*" (any) is nil.
func deviceNumber(s string) (*int64, error) {
	if s == "*" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return &n, err
}

// skipDevDirs are the directories under /dev that hold no host devices a
// privileged container should get.
var skipDevDirs = []string{"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"}

// hostDevices lists the host's /dev device nodes, which a privileged
// container gets, as containerd does for Docker.
func hostDevices() ([]specs.LinuxDevice, error) {
	var devs []specs.LinuxDevice
	err := filepath.WalkDir("/dev", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != "/dev" && slices.Contains(skipDevDirs, d.Name()):
			return filepath.SkipDir
		case d.IsDir() || d.Name() == "console":
			return nil
		}
		dev, err := deviceFromPath(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err == nil && dev != nil {
			devs = append(devs, *dev)
		}
		return err
	})
	return devs, err
}

// deviceFromPath describes the device node at path; nil if it is none.
func deviceFromPath(path string) (*specs.LinuxDevice, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return nil, &os.PathError{Op: "lstat", Path: path, Err: err}
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		typ = "c"
	case unix.S_IFBLK:
		typ = "b"
	default:
		return nil, nil
	}
	mode := fs.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	return &specs.LinuxDevice{
		Path: path, Type: typ,
		Major: int64(unix.Major(st.Rdev)), Minor: int64(unix.Minor(st.Rdev)),
		FileMode: &mode, UID: &uid, GID: &gid,
	}, nil
}

// containerDevices are the device nodes created in the container: the
// host's for a privileged container, then HostConfig.Devices (--device).
func containerDevices(hc *container.HostConfig) ([]specs.LinuxDevice, error) {
	var devs []specs.LinuxDevice
	if hc.Privileged {
		var err error
		if devs, err = hostDevices(); err != nil {
			return nil, err
		}
	}
	for _, m := range hc.Devices {
		mapped, _, err := deviceMapping(m)
		if err != nil {
			return nil, err
		}
		devs = append(devs, mapped...)
	}
	return devs, nil
}

// deviceMapping resolves one --device as Docker does: a host device node
// (through a symlink) appears at PathInContainer; a host directory gives
// every device node below it, at the same place under PathInContainer.
// Each gets a device cgroup rule with CgroupPermissions.
func deviceMapping(m container.DeviceMapping) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	host := m.PathOnHost
	if resolved, err := filepath.EvalSymlinks(host); err == nil {
		host = resolved
	}
	var devs []specs.LinuxDevice
	var rules []specs.LinuxDeviceCgroup
	add := func(path, inContainer string) error {
		dev, err := deviceFromPath(path)
		if err != nil || dev == nil {
			return err
		}
		dev.Path = inContainer
		major, minor := dev.Major, dev.Minor
		devs = append(devs, *dev)
		rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: dev.Type, Major: &major, Minor: &minor, Access: m.CgroupPermissions})
		return nil
	}
	err := add(host, m.PathInContainer)
	if err == nil && devs == nil {
		if st, statErr := os.Stat(host); statErr == nil && st.IsDir() {
			err = filepath.WalkDir(host, func(path string, d fs.DirEntry, walkErr error) error {
				if walkErr != nil || d.IsDir() {
					return nil // unreadable parts are skipped, as Docker does
				}
				rel, _ := filepath.Rel(host, path)
				_ = add(path, filepath.Join(m.PathInContainer, rel))
				return nil
			})
		}
	}
	if err == nil && devs == nil {
		err = errors.New("not a device node")
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, invalidf("error gathering device information while adding custom device %q: %v", m.PathOnHost, err)
	}
	return devs, rules, nil
}
