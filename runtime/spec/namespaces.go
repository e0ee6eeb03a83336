package spec

import (
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// namespaces returns the container's namespaces as Docker sets them: new
// mount, network, UTS, PID and IPC namespaces unless a mode says "host", and
// a cgroup namespace when CgroupnsMode is "private" or, unset, on a cgroup
// v2 host (dockerd's default). Finding another container's namespaces is
// the daemon's job: it passes their paths (NetNSPath, PidNSPath, IpcNSPath)
// for the "container:<id>" modes.
func namespaces(opts Options) ([]specs.LinuxNamespace, error) {
	hc, netnsPath := opts.HostConfig, opts.NetNSPath
	if err := validateModes(opts); err != nil {
		return nil, err
	}
	ns := []specs.LinuxNamespace{{Type: specs.MountNamespace}}
	switch {
	case hc.NetworkMode.IsHost():
	case netnsPath != "":
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: netnsPath})
	case hc.NetworkMode.IsContainer():
		return nil, notImplemented("network mode %q without the other container's namespace path", hc.NetworkMode)
	default:
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	if !hc.UTSMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.UTSNamespace})
	}
	if !hc.PidMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.PIDNamespace, Path: opts.PidNSPath})
	}
	if !hc.IpcMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.IPCNamespace, Path: opts.IpcNSPath})
	}
	if hc.CgroupnsMode.IsPrivate() || hc.CgroupnsMode.IsEmpty() && cgroupV2() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	return ns, nil
}

func validateModes(opts Options) error {
	hc := opts.HostConfig
	switch {
	case !hc.PidMode.Valid():
		return invalidf("invalid PID mode: %v", hc.PidMode)
	case !hc.IpcMode.Valid():
		return invalidf("invalid IPC mode: %v", hc.IpcMode)
	case !hc.UTSMode.Valid():
		return invalidf("invalid UTS mode: %v", hc.UTSMode)
	case !hc.CgroupnsMode.Valid():
		return invalidf("invalid cgroup namespace mode: %v", hc.CgroupnsMode)
	case !hc.UsernsMode.Valid():
		return invalidf("invalid USER mode: %v", hc.UsernsMode)
	case hc.PidMode.IsContainer() != (opts.PidNSPath != ""):
		return invalidf("spec: PID mode %q needs PidNSPath, and only it", hc.PidMode)
	case hc.IpcMode.IsContainer() != (opts.IpcNSPath != ""):
		return invalidf("spec: IPC mode %q needs IpcNSPath, and only it", hc.IpcMode)
	}
	return nil
}

// cgroupV2 reports whether /sys/fs/cgroup is the unified hierarchy.
func cgroupV2() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// notImplemented says what is not supported (yet), as a not-implemented error.
func notImplemented(format string, args ...any) error {
	return errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf(format, args...) + " is not supported")
}
