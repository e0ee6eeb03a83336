package spec

import (
	"cmp"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// defaultShmSize is dockerd's /dev/shm size when HostConfig.ShmSize is 0.
const defaultShmSize = 64 << 20

// initPathInContainer is where Docker mounts the init for --init.
const initPathInContainer = "/sbin/docker-init"

// keepWritable are the default mounts a read-only rootfs leaves writable.
var keepWritable = []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"}

// mounts returns the container's mounts in Docker's order: the default
// filesystems (less those a container mount replaces), the init, then the
// container's own mounts (/etc files, tmpfs, host /dev/shm), parents first.
func mounts(opts Options, so securityOpts) ([]specs.Mount, error) {
	hc := opts.HostConfig
	own, err := containerMounts(opts)
	if err != nil {
		return nil, err
	}
	ms := withoutReplaced(defaultMounts(hc, opts.ShmPath != ""), own)
	if hc.ReadonlyRootfs {
		for i := range ms {
			if !slices.Contains(keepWritable, ms[i].Destination) && !slices.Contains(ms[i].Options, "ro") {
				ms[i].Options = append(ms[i].Options, "ro")
			}
		}
	}
	writableCgroups := hc.Privileged
	if so.writableCgroups != nil {
		writableCgroups = *so.writableCgroups
	}
	for i := range ms {
		if hc.Privileged && ms[i].Destination == "/sys" || writableCgroups && ms[i].Type == "cgroup" {
			ms[i].Options = without(ms[i].Options, []string{"ro"})
		}
	}
	if useInit(hc) {
		ms = append(ms, specs.Mount{Destination: initPathInContainer, Type: "bind", Source: opts.InitPath, Options: []string{"bind", "ro"}})
	}
	return append(ms, own...), nil
}

func useInit(hc *container.HostConfig) bool {
	return hc.Init != nil && *hc.Init && hc.PidMode.IsPrivate()
}

// defaultMounts are the filesystems of Docker's default spec; /dev/shm is a
// tmpfs of HostConfig.ShmSize with a private IPC namespace, absent with
// IpcMode "none", and a bind (see containerMounts) with IpcMode "host" or
// a shared one (sharedShm).
func defaultMounts(hc *container.HostConfig, sharedShm bool) []specs.Mount {
	ms := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
	}
	if hc.IpcMode.IsNone() || hc.IpcMode.IsHost() || sharedShm {
		return ms
	}
	size := hc.ShmSize
	if size <= 0 {
		size = defaultShmSize
	}
	return append(ms, specs.Mount{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
		Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=" + strconv.FormatInt(size, 10)}})
}

// containerMounts returns the mounts the container asks for that this
// package handles: the /etc files, HostConfig.Tmpfs and the host's /dev/shm
// for IpcMode "host", sorted so that parents come before children. A
// read-only rootfs leaves them as they are, except the /etc files, which are
// then read-only too.
func containerMounts(opts Options) ([]specs.Mount, error) {
	hc := opts.HostConfig
	var ms []specs.Mount
	for _, dst := range slices.Sorted(maps.Keys(opts.EtcFiles)) {
		o := []string{"rbind", "rprivate"}
		if hc.ReadonlyRootfs {
			o = []string{"rbind", "ro", "rprivate"}
		}
		ms = append(ms, specs.Mount{Destination: dst, Type: "bind", Source: opts.EtcFiles[dst], Options: o})
	}
	switch {
	case hc.IpcMode.IsHost():
		ms = append(ms, specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/dev/shm", Options: []string{"rbind", "rprivate"}})
	case opts.ShmPath != "":
		ms = append(ms, specs.Mount{Destination: "/dev/shm", Type: "bind", Source: opts.ShmPath, Options: []string{"rbind", "rprivate"}})
	}
	tmpfs, err := tmpfsMounts(hc.Tmpfs)
	if err != nil {
		return nil, err
	}
	ms = append(ms, tmpfs...)
	slices.SortStableFunc(ms, func(a, b specs.Mount) int { return cmp.Compare(depth(a.Destination), depth(b.Destination)) })
	return ms, nil
}

func depth(p string) int { return strings.Count(filepath.Clean(p), "/") }

// withoutReplaced drops the default mounts that a container mount replaces:
// the same destination, or anything under /dev when /dev itself is mounted.
func withoutReplaced(defaults, own []specs.Mount) []specs.Mount {
	replaced := func(dst string) bool {
		return slices.ContainsFunc(own, func(m specs.Mount) bool {
			return m.Destination == dst || m.Destination == "/dev" && strings.HasPrefix(dst, "/dev/")
		})
	}
	var out []specs.Mount
	for _, m := range defaults {
		if !replaced(m.Destination) {
			out = append(out, m)
		}
	}
	return out
}

// tmpfsMounts turns HostConfig.Tmpfs (destination -> "size=64m,mode=1777",
// options as for mount(8)) into mounts with Docker's defaults noexec,
// nosuid, nodev, rprivate, which the given options override.
func tmpfsMounts(tmpfs map[string]string) ([]specs.Mount, error) {
	var ms []specs.Mount
	for _, dst := range slices.Sorted(maps.Keys(tmpfs)) {
		if !filepath.IsAbs(dst) {
			return nil, invalidf("invalid mount path: '%s' mount path must be absolute", dst)
		}
		if filepath.Clean(dst) == "/" {
			return nil, invalidf("invalid specification: destination can't be '/'")
		}
		o := []string{"noexec", "nosuid", "nodev", "rprivate"}
		if data := tmpfs[dst]; data != "" {
			o = append(o, strings.Split(data, ",")...)
		}
		o, err := mergeTmpfsOptions(o)
		if err != nil {
			return nil, err
		}
		ms = append(ms, specs.Mount{Destination: filepath.Clean(dst), Type: "tmpfs", Source: "tmpfs", Options: o})
	}
	return ms, nil
}

// tmpfsFlags maps each tmpfs mount flag to its family: within a family the
// last flag given wins.
var tmpfsFlags = map[string]string{
	"ro": "ro", "rw": "ro", "exec": "exec", "noexec": "exec", "suid": "suid", "nosuid": "suid",
	"dev": "dev", "nodev": "dev", "sync": "sync", "async": "sync", "dirsync": "dirsync",
	"atime": "atime", "noatime": "atime", "diratime": "diratime", "nodiratime": "diratime",
	"relatime": "relatime", "norelatime": "relatime", "strictatime": "strictatime", "nostrictatime": "strictatime",
	"mand": "mand", "nomand": "mand",
	"private": "propagation", "rprivate": "propagation", "shared": "propagation", "rshared": "propagation",
	"slave": "propagation", "rslave": "propagation", "unbindable": "propagation", "runbindable": "propagation",
}

// tmpfsData are the key=value options tmpfs takes.
var tmpfsData = []string{"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"}

// mergeTmpfsOptions keeps the last of each flag family and of each
// key=value option, in the order given, as Docker does.
func mergeTmpfsOptions(opts []string) ([]string, error) {
	seen := make(map[string]bool)
	var out []string
	for i := len(opts) - 1; i >= 0; i-- {
		o := opts[i]
		if o == "defaults" {
			continue
		}
		key, ok := tmpfsFlags[o]
		if !ok {
			k, _, hasValue := strings.Cut(o, "=")
			if !hasValue || !slices.Contains(tmpfsData, k) {
				return nil, invalidf("invalid tmpfs option %q", o)
			}
			key = k + "="
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, o)
		}
	}
	slices.Reverse(out)
	return out, nil
}
