package spec

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
)

const testID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func testOptions(t *testing.T) Options {
	return Options{
		ID:          testID,
		Rootfs:      testRootfs(t),
		Config:      &container.Config{Cmd: []string{"sh"}},
		HostConfig:  &container.HostConfig{},
		Hostname:    "0123456789ab",
		CgroupsPath: "/berth/" + testID,
	}
}

// generate runs Generate on testOptions changed by edit.
func generate(t *testing.T, edit func(*Options)) *specs.Spec {
	t.Helper()
	opts := testOptions(t)
	if edit != nil {
		edit(&opts)
	}
	s, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func mountAt(s *specs.Spec, dst string) *specs.Mount {
	for i := range s.Mounts {
		if s.Mounts[i].Destination == dst {
			return &s.Mounts[i]
		}
	}
	return nil
}

func namespaceTypes(s *specs.Spec) []specs.LinuxNamespaceType {
	var types []specs.LinuxNamespaceType
	for _, ns := range s.Linux.Namespaces {
		types = append(types, ns.Type)
	}
	return types
}

func TestGenerateDefaults(t *testing.T) {
	s := generate(t, nil)
	if s.Version != "1.0.2" || s.Hostname != "0123456789ab" || s.Root.Path == "" || s.Root.Readonly {
		t.Errorf("Version, Hostname, Root = %q, %q, %+v", s.Version, s.Hostname, s.Root)
	}
	p := s.Process
	wantEnv := []string{"PATH=" + defaultPath, "HOSTNAME=0123456789ab", "HOME=/root"}
	if !reflect.DeepEqual(p.Args, []string{"sh"}) || !reflect.DeepEqual(p.Env, wantEnv) || p.Cwd != "/" || p.Terminal {
		t.Errorf("Args, Env, Cwd, Terminal = %q, %q, %q, %v", p.Args, p.Env, p.Cwd, p.Terminal)
	}
	if p.OOMScoreAdj == nil || *p.OOMScoreAdj != 0 || p.NoNewPrivileges || p.ApparmorProfile != "" || p.Rlimits != nil {
		t.Errorf("OOMScoreAdj, NoNewPrivileges, ApparmorProfile, Rlimits = %v, %v, %q, %v", p.OOMScoreAdj, p.NoNewPrivileges, p.ApparmorProfile, p.Rlimits)
	}
	for _, set := range [][]string{p.Capabilities.Bounding, p.Capabilities.Effective, p.Capabilities.Permitted} {
		if !reflect.DeepEqual(set, defaultCaps) {
			t.Errorf("capabilities = %q, want Docker's defaults", set)
		}
	}
	wantNS := []specs.LinuxNamespaceType{specs.MountNamespace, specs.NetworkNamespace, specs.UTSNamespace, specs.PIDNamespace, specs.IPCNamespace}
	if cgroupV2() {
		wantNS = append(wantNS, specs.CgroupNamespace)
	}
	if got := namespaceTypes(s); !reflect.DeepEqual(got, wantNS) {
		t.Errorf("namespaces = %v, want %v", got, wantNS)
	}
	var dsts []string
	for _, m := range s.Mounts {
		dsts = append(dsts, m.Destination)
	}
	if want := []string{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm"}; !reflect.DeepEqual(dsts, want) {
		t.Errorf("mounts = %q, want %q", dsts, want)
	}
	if m := mountAt(s, "/dev/shm"); !slices.Contains(m.Options, "size=67108864") {
		t.Errorf("/dev/shm options = %q, want size=64m", m.Options)
	}
	if m := mountAt(s, "/dev/pts"); !reflect.DeepEqual(m.Options, []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}) {
		t.Errorf("/dev/pts options = %q", m.Options)
	}
	for _, dst := range []string{"/sys", "/sys/fs/cgroup"} {
		if !slices.Contains(mountAt(s, dst).Options, "ro") {
			t.Errorf("%s is not read-only", dst)
		}
	}
	l := s.Linux
	if l.CgroupsPath != "/berth/"+testID || l.Seccomp == nil || l.Seccomp.DefaultAction != specs.ActErrno {
		t.Errorf("CgroupsPath, Seccomp = %q, %v", l.CgroupsPath, l.Seccomp != nil)
	}
	for _, p := range []string{"/proc/kcore", "/proc/keys", "/sys/firmware", "/proc/timer_list"} {
		if !slices.Contains(l.MaskedPaths, p) {
			t.Errorf("%s is not masked: %q", p, l.MaskedPaths)
		}
	}
	if !reflect.DeepEqual(l.ReadonlyPaths, []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
		t.Errorf("ReadonlyPaths = %q", l.ReadonlyPaths)
	}
	r := l.Resources
	if r.Memory != nil || r.CPU != nil || r.Pids != nil || r.BlockIO != nil {
		t.Errorf("resources set without HostConfig asking: %+v", r)
	}
	if !reflect.DeepEqual(r.Devices, defaultDeviceRules()) || r.Devices[0].Allow {
		t.Errorf("device rules = %+v", r.Devices)
	}
	if l.Devices != nil {
		t.Errorf("Devices = %v, want none (the runtime creates the defaults)", l.Devices)
	}
}

func TestCapabilities(t *testing.T) {
	available := slices.Clone(capNames)
	available = slices.DeleteFunc(available, func(c string) bool { return c == "CAP_SYS_RESOURCE" })
	tests := []struct {
		name      string
		add, drop []string
		want      []string
		wantErr   string
	}{
		{name: "defaults", want: defaultCaps},
		{name: "add without prefix, lower case", add: []string{"net_admin", "CAP_SYS_PTRACE"},
			want: append(slices.Clone(defaultCaps), "CAP_NET_ADMIN", "CAP_SYS_PTRACE")},
		{name: "add a default again", add: []string{"CHOWN"}, want: defaultCaps},
		{name: "drop", drop: []string{"chown", "CAP_KILL", "MKNOD"},
			want: without(defaultCaps, []string{"CAP_CHOWN", "CAP_KILL", "CAP_MKNOD"})},
		{name: "drop ALL, add some", drop: []string{"ALL"}, add: []string{"NET_BIND_SERVICE"}, want: []string{"CAP_NET_BIND_SERVICE"}},
		{name: "drop ALL", drop: []string{"all"}, want: nil},
		{name: "add ALL", add: []string{"ALL"}, want: available},
		{name: "add ALL, drop some", add: []string{"ALL"}, drop: []string{"SYS_ADMIN"},
			want: without(available, []string{"CAP_SYS_ADMIN"})},
		{name: "unknown", add: []string{"FOO"}, wantErr: `unknown capability: "CAP_FOO"`},
		{name: "unknown drop", drop: []string{"FOO"}, wantErr: `unknown capability: "CAP_FOO"`},
		{name: "unavailable", add: []string{"SYS_RESOURCE"},
			wantErr: `capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := capabilities(&container.HostConfig{CapAdd: tt.add, CapDrop: tt.drop}, available)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errdefs.IsInvalidArgument(err) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("capabilities = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	got, _ := capabilities(&container.HostConfig{Privileged: true, CapDrop: []string{"ALL"}}, available)
	if !reflect.DeepEqual(got, available) {
		t.Errorf("privileged capabilities = %q, want all available", got)
	}
}

func TestGenerateCapsInSpec(t *testing.T) {
	if available, _ := availableCaps(); !slices.Contains(available, "CAP_KILL") {
		t.Skip("CAP_KILL is not available to add")
	}
	s := generate(t, func(o *Options) { o.HostConfig.CapDrop = []string{"ALL"}; o.HostConfig.CapAdd = []string{"kill"} })
	if c := s.Process.Capabilities; !reflect.DeepEqual(c.Bounding, []string{"CAP_KILL"}) || !reflect.DeepEqual(c.Effective, c.Bounding) || !reflect.DeepEqual(c.Permitted, c.Bounding) {
		t.Errorf("capabilities = %+v", c)
	}
}

func TestGeneratePrivileged(t *testing.T) {
	s := generate(t, func(o *Options) { o.HostConfig.Privileged = true })
	available, err := availableCaps()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Process.Capabilities.Bounding, available) {
		t.Errorf("capabilities = %q, want all this process holds", s.Process.Capabilities.Bounding)
	}
	l := s.Linux
	if l.Seccomp != nil || l.MaskedPaths != nil || l.ReadonlyPaths != nil {
		t.Errorf("Seccomp, MaskedPaths, ReadonlyPaths = %v, %q, %q; want none", l.Seccomp != nil, l.MaskedPaths, l.ReadonlyPaths)
	}
	for _, dst := range []string{"/sys", "/sys/fs/cgroup"} {
		if slices.Contains(mountAt(s, dst).Options, "ro") {
			t.Errorf("%s is read-only in a privileged container", dst)
		}
	}
	if !reflect.DeepEqual(l.Resources.Devices, []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}) {
		t.Errorf("device rules = %+v, want allow all", l.Resources.Devices)
	}
	if !slices.ContainsFunc(l.Devices, func(d specs.LinuxDevice) bool {
		return d.Path == "/dev/null" && d.Type == "c" && d.Major == 1 && d.Minor == 3
	}) {
		t.Errorf("host devices lack /dev/null: %+v", l.Devices)
	}
}

// Privileged containers are tested through the spec (DESIGN.md §5): a
// seccomp profile given explicitly still applies, as in Docker.
func TestGeneratePrivilegedWithProfile(t *testing.T) {
	s := generate(t, func(o *Options) {
		o.HostConfig.Privileged = true
		o.HostConfig.SecurityOpt = []string{`seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ERRNO"}]}`}
	})
	if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActAllow || len(s.Linux.Seccomp.Syscalls) != 1 {
		t.Errorf("seccomp = %+v", s.Linux.Seccomp)
	}
}

func TestGenerateSecurityOpt(t *testing.T) {
	s := generate(t, func(o *Options) { o.HostConfig.SecurityOpt = []string{"seccomp=unconfined", "no-new-privileges"} })
	if s.Linux.Seccomp != nil || !s.Process.NoNewPrivileges {
		t.Errorf("Seccomp, NoNewPrivileges = %v, %v", s.Linux.Seccomp != nil, s.Process.NoNewPrivileges)
	}
	s = generate(t, func(o *Options) {
		o.HostConfig.SecurityOpt = []string{"no-new-privileges:true", "seccomp=builtin", "label=disable"}
	})
	if s.Linux.Seccomp == nil || !s.Process.NoNewPrivileges {
		t.Errorf("Seccomp, NoNewPrivileges = %v, %v", s.Linux.Seccomp != nil, s.Process.NoNewPrivileges)
	}
	s = generate(t, func(o *Options) { o.HostConfig.SecurityOpt = []string{"writable-cgroups=true"} })
	if slices.Contains(mountAt(s, "/sys/fs/cgroup").Options, "ro") {
		t.Error("writable-cgroups left /sys/fs/cgroup read-only")
	}
	for _, opt := range []string{"bogus", "foo=bar", "no-new-privileges=maybe", "seccomp={not json"} {
		o := testOptions(t)
		o.HostConfig.SecurityOpt = []string{opt}
		if _, err := Generate(o); !errdefs.IsInvalidArgument(err) {
			t.Errorf("SecurityOpt %q: err = %v, want invalid argument", opt, err)
		}
	}
}

func TestGenerateReadonlyRootfs(t *testing.T) {
	s := generate(t, func(o *Options) {
		o.HostConfig.ReadonlyRootfs = true
		o.HostConfig.Tmpfs = map[string]string{"/run": ""}
		o.EtcFiles = map[string]string{"/etc/hosts": "/host/hosts", "/etc/resolv.conf": "/host/resolv.conf"}
	})
	if !s.Root.Readonly {
		t.Error("root is writable")
	}
	for _, dst := range []string{"/sys", "/sys/fs/cgroup", "/etc/hosts", "/etc/resolv.conf"} {
		if m := mountAt(s, dst); m == nil || !slices.Contains(m.Options, "ro") {
			t.Errorf("%s is not read-only: %+v", dst, m)
		}
	}
	for _, dst := range []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/run"} {
		if m := mountAt(s, dst); m == nil || slices.Contains(m.Options, "ro") {
			t.Errorf("%s is read-only: %+v", dst, m)
		}
	}
	s = generate(t, func(o *Options) { o.EtcFiles = map[string]string{"/etc/hosts": "/host/hosts"} })
	if m := mountAt(s, "/etc/hosts"); !reflect.DeepEqual(*m, specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: "/host/hosts", Options: []string{"rbind", "rprivate"}}) {
		t.Errorf("/etc/hosts mount = %+v", m)
	}
}

func TestGenerateEnv(t *testing.T) {
	tests := []struct {
		name string
		cfg  container.Config
		want []string
	}{
		{name: "tty", cfg: container.Config{Tty: true},
			want: []string{"PATH=" + defaultPath, "HOSTNAME=0123456789ab", "TERM=xterm", "HOME=/root"}},
		{name: "config wins", cfg: container.Config{Tty: true, Env: []string{"PATH=/bin", "TERM=dumb", "HOME=/x", "A=1"}},
			want: []string{"PATH=/bin", "HOSTNAME=0123456789ab", "TERM=dumb", "HOME=/x", "A=1"}},
		{name: "unset a default", cfg: container.Config{Env: []string{"HOSTNAME"}},
			want: []string{"PATH=" + defaultPath, "HOME=/root"}},
		{name: "user's home", cfg: container.Config{User: "app"},
			want: []string{"PATH=" + defaultPath, "HOSTNAME=0123456789ab", "HOME=/home/app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := generate(t, func(o *Options) { tt.cfg.Cmd = []string{"sh"}; o.Config = &tt.cfg })
			if !reflect.DeepEqual(s.Process.Env, tt.want) {
				t.Errorf("Env = %q, want %q", s.Process.Env, tt.want)
			}
		})
	}
}

func TestGenerateProcess(t *testing.T) {
	init := true
	umask := uint32(0o077)
	s := generate(t, func(o *Options) {
		o.Config = &container.Config{Entrypoint: []string{"/entry"}, Cmd: []string{"a"}, User: "app:video", WorkingDir: "/srv/", Tty: true}
		o.HostConfig.Init = &init
		o.HostConfig.Umask = &umask
		o.HostConfig.GroupAdd = []string{"staff"}
		o.HostConfig.ConsoleSize = [2]uint{24, 80}
		o.HostConfig.OomScoreAdj = 500
		o.HostConfig.Ulimits = []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}}
		o.InitPath = "/usr/bin/tini-static"
	})
	p := s.Process
	if !reflect.DeepEqual(p.Args, []string{"/sbin/docker-init", "--", "/entry", "a"}) || p.Cwd != "/srv" || !p.Terminal {
		t.Errorf("Args, Cwd, Terminal = %q, %q, %v", p.Args, p.Cwd, p.Terminal)
	}
	if m := mountAt(s, "/sbin/docker-init"); m == nil || m.Source != "/usr/bin/tini-static" || !reflect.DeepEqual(m.Options, []string{"bind", "ro"}) {
		t.Errorf("init mount = %+v", m)
	}
	if want := (specs.User{UID: 1000, GID: 44, Umask: &umask, AdditionalGids: []uint32{44, 50}}); !reflect.DeepEqual(p.User, want) {
		t.Errorf("User = %+v, want %+v", p.User, want)
	}
	if p.ConsoleSize == nil || *p.ConsoleSize != (specs.Box{Height: 24, Width: 80}) || *p.OOMScoreAdj != 500 {
		t.Errorf("ConsoleSize, OOMScoreAdj = %v, %v", p.ConsoleSize, *p.OOMScoreAdj)
	}
	if !reflect.DeepEqual(p.Rlimits, []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 2048}}) {
		t.Errorf("Rlimits = %+v", p.Rlimits)
	}
	// No init in the host's PID namespace.
	s = generate(t, func(o *Options) {
		o.HostConfig.Init = &init
		o.HostConfig.PidMode = "host"
		o.InitPath = "/usr/bin/tini-static"
	})
	if s.Process.Args[0] != "sh" || mountAt(s, "/sbin/docker-init") != nil || slices.Contains(namespaceTypes(s), specs.PIDNamespace) {
		t.Errorf("host PID mode: Args %q, namespaces %v", s.Process.Args, namespaceTypes(s))
	}
}

func TestGenerateMounts(t *testing.T) {
	s := generate(t, func(o *Options) {
		o.HostConfig.ShmSize = 1 << 20
		o.HostConfig.Tmpfs = map[string]string{"/run/a/b": "", "/run": "exec,size=1m,mode=700,size=2m", "/tmp/": "rw,noexec"}
	})
	if m := mountAt(s, "/dev/shm"); !slices.Contains(m.Options, "size=1048576") {
		t.Errorf("/dev/shm options = %q", m.Options)
	}
	want := []specs.Mount{
		{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "rprivate", "exec", "mode=700", "size=2m"}},
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "rprivate", "rw", "noexec"}},
		{Destination: "/run/a/b", Type: "tmpfs", Source: "tmpfs", Options: []string{"noexec", "nosuid", "nodev", "rprivate"}},
	}
	if got := s.Mounts[len(s.Mounts)-3:]; !reflect.DeepEqual(got, want) {
		t.Errorf("tmpfs mounts =\n%+v\nwant\n%+v", got, want)
	}
	// A tmpfs on /dev/shm replaces the default one; one on /dev replaces all of /dev.
	s = generate(t, func(o *Options) { o.HostConfig.Tmpfs = map[string]string{"/dev/shm": "size=1k"} })
	if m := mountAt(s, "/dev/shm"); m.Source != "tmpfs" || !slices.Contains(m.Options, "size=1k") || s.Mounts[len(s.Mounts)-1].Destination != "/dev/shm" {
		t.Errorf("/dev/shm = %+v", m)
	}
	s = generate(t, func(o *Options) { o.HostConfig.Tmpfs = map[string]string{"/dev": ""} })
	if mountAt(s, "/dev/pts") != nil || mountAt(s, "/dev/mqueue") != nil || mountAt(s, "/dev").Source != "tmpfs" {
		t.Errorf("mounts with a /dev tmpfs: %+v", s.Mounts)
	}
	for _, tmpfs := range []map[string]string{{"rel": ""}, {"/": ""}, {"/x": "bogus"}, {"/x": "uid"}} {
		o := testOptions(t)
		o.HostConfig.Tmpfs = tmpfs
		if _, err := Generate(o); !errdefs.IsInvalidArgument(err) {
			t.Errorf("Tmpfs %v: err = %v, want invalid argument", tmpfs, err)
		}
	}
}

func TestGenerateNamespaceModes(t *testing.T) {
	s := generate(t, func(o *Options) { o.NetNSPath = "/run/netns/x" })
	if ns := s.Linux.Namespaces[1]; ns != (specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: "/run/netns/x"}) {
		t.Errorf("network namespace = %+v", ns)
	}
	s = generate(t, func(o *Options) {
		o.HostConfig.NetworkMode = "host"
		o.HostConfig.IpcMode = "host"
		o.HostConfig.UTSMode = "host"
	})
	if got := namespaceTypes(s); slices.Contains(got, specs.NetworkNamespace) || slices.Contains(got, specs.IPCNamespace) || slices.Contains(got, specs.UTSNamespace) {
		t.Errorf("host modes: namespaces %v", got)
	}
	if _, ok := s.Linux.Sysctl["net.ipv4.ip_unprivileged_port_start"]; ok || s.Hostname != "" || !slices.Contains(s.Process.Env, "HOSTNAME=0123456789ab") {
		t.Errorf("host modes: sysctls %v, hostname %q, env %q", s.Linux.Sysctl, s.Hostname, s.Process.Env)
	}
	if m := mountAt(s, "/dev/shm"); m == nil || m.Type != "bind" || m.Source != "/dev/shm" {
		t.Errorf("host IPC /dev/shm = %+v", m)
	}
	s = generate(t, func(o *Options) { o.HostConfig.IpcMode = "none"; o.HostConfig.CgroupnsMode = "private" })
	if mountAt(s, "/dev/shm") != nil || !slices.Contains(namespaceTypes(s), specs.CgroupNamespace) {
		t.Errorf("IPC none / private cgroupns: mounts %+v, namespaces %v", s.Mounts, namespaceTypes(s))
	}
	// Another container's PID and IPC namespaces and its shared /dev/shm.
	s = generate(t, func(o *Options) {
		o.HostConfig.PidMode, o.PidNSPath = "container:x", "/proc/7/ns/pid"
		o.HostConfig.IpcMode, o.IpcNSPath, o.ShmPath = "container:x", "/proc/7/ns/ipc", "/data/x/shm"
	})
	for _, want := range []specs.LinuxNamespace{{Type: specs.PIDNamespace, Path: "/proc/7/ns/pid"}, {Type: specs.IPCNamespace, Path: "/proc/7/ns/ipc"}} {
		if !slices.Contains(s.Linux.Namespaces, want) {
			t.Errorf("namespaces %+v lack %+v", s.Linux.Namespaces, want)
		}
	}
	if m := mountAt(s, "/dev/shm"); m == nil || m.Type != "bind" || m.Source != "/data/x/shm" {
		t.Errorf("shared /dev/shm = %+v", m)
	}
	s = generate(t, func(o *Options) { o.HostConfig.IpcMode, o.ShmPath = "shareable", "/data/y/shm" })
	if m := mountAt(s, "/dev/shm"); m == nil || m.Source != "/data/y/shm" || !slices.Contains(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.IPCNamespace}) {
		t.Errorf("shareable IPC: /dev/shm = %+v, namespaces %+v", m, s.Linux.Namespaces)
	}
	o := testOptions(t)
	o.HostConfig.NetworkMode = "container:x"
	if _, err := Generate(o); !errdefs.IsNotImplemented(err) {
		t.Errorf("network container:x without a path: err = %v, want not implemented", err)
	}
	for _, edit := range []func(*Options){
		func(o *Options) { o.HostConfig.PidMode = "bogus" },
		func(o *Options) { o.HostConfig.UsernsMode = "private" },
		func(o *Options) { o.HostConfig.PidMode = "container:x" }, // no path
		func(o *Options) { o.IpcNSPath = "/proc/7/ns/ipc" },       // a path without the mode
		func(o *Options) { o.HostConfig.IpcMode = "container:" },  // no container
		func(o *Options) { o.HostConfig.IpcMode, o.IpcNSPath = "host", "/proc/7/ns/ipc" },
	} {
		o := testOptions(t)
		edit(&o)
		if _, err := Generate(o); !errdefs.IsInvalidArgument(err) {
			t.Errorf("%+v: err = %v, want invalid argument", o, err)
		}
	}
}

func TestGenerateResources(t *testing.T) {
	swappiness, pids, oomKillDisable := int64(10), int64(0), true
	s := generate(t, func(o *Options) {
		o.HostConfig.Resources = container.Resources{
			Memory: 64 << 20, MemoryReservation: 32 << 20, MemorySwap: -1, MemorySwappiness: &swappiness, OomKillDisable: &oomKillDisable,
			CPUShares: 512, NanoCPUs: 1_500_000_000, CpusetCpus: "0", PidsLimit: &pids, BlkioWeight: 300,
		}
	})
	r := s.Linux.Resources
	if m := r.Memory; *m.Limit != 64<<20 || *m.Reservation != 32<<20 || *m.Swap != -1 || *m.Swappiness != 10 || !*m.DisableOOMKiller {
		t.Errorf("memory = %+v", m)
	}
	if c := r.CPU; *c.Shares != 512 || *c.Quota != 150000 || *c.Period != 100000 || c.Cpus != "0" || c.Mems != "" {
		t.Errorf("cpu = %+v", c)
	}
	if *r.Pids.Limit != -1 || *r.BlockIO.Weight != 300 {
		t.Errorf("pids, blkio = %+v, %+v", r.Pids, r.BlockIO)
	}
	s = generate(t, func(o *Options) { o.HostConfig.CPUQuota = 50000; o.HostConfig.CPUPeriod = 100000 })
	if c := s.Linux.Resources.CPU; *c.Quota != 50000 || *c.Period != 100000 || c.Shares != nil || s.Linux.Resources.Memory != nil {
		t.Errorf("cpu = %+v", c)
	}
	s = generate(t, func(o *Options) { o.HostConfig.DeviceCgroupRules = []string{"c 13:* rwm"} })
	if d := s.Linux.Resources.Devices; d[len(d)-1].Type != "c" || *d[len(d)-1].Major != 13 || d[len(d)-1].Minor != nil {
		t.Errorf("device rules = %+v", d)
	}
}

func TestGenerateSysctls(t *testing.T) {
	s := generate(t, func(o *Options) {
		o.Config.Domainname = "example.com"
		o.HostConfig.Sysctls = map[string]string{"net.ipv4.ip_unprivileged_port_start": "1024", "kernel.msgmax": "1"}
	})
	want := map[string]string{"kernel.domainname": "example.com", "net.ipv4.ip_unprivileged_port_start": "1024", "kernel.msgmax": "1"}
	if sysctlExists("net.ipv4.ping_group_range") {
		want["net.ipv4.ping_group_range"] = "0 2147483647"
	}
	if !reflect.DeepEqual(s.Linux.Sysctl, want) {
		t.Errorf("sysctls = %v, want %v", s.Linux.Sysctl, want)
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no command", func(o *Options) { o.Config.Cmd = nil }, "no command specified"},
		{"relative working dir", func(o *Options) { o.Config.WorkingDir = "srv" }, "the working directory 'srv' is invalid, it needs to be an absolute path"},
		{"unknown user", func(o *Options) { o.Config.User = "nosuch" }, "unable to find user nosuch: no matching entries in passwd file"},
		{"init without path", func(o *Options) { b := true; o.HostConfig.Init = &b }, "spec: HostConfig.Init needs InitPath"},
		{"bad device rule", func(o *Options) { o.HostConfig.DeviceCgroupRules = []string{"x 1:2 rwm"} }, "invalid device cgroup rule format: 'x 1:2 rwm'"},
		{"negative shares", func(o *Options) { o.HostConfig.CPUShares = -1 }, "invalid CPU shares (-1): value must be a positive integer"},
	}
	for _, tt := range tests {
		o := testOptions(t)
		tt.edit(&o)
		_, err := Generate(o)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errdefs.IsInvalidArgument(err) {
			t.Errorf("%s: err = %v, want invalid argument %q", tt.name, err, tt.want)
		}
	}
}

func TestGenerateAnnotations(t *testing.T) {
	s := generate(t, func(o *Options) {
		o.HostConfig.Annotations = map[string]string{"a": "b"}
		o.HostConfig.GroupAdd = []string{"video", "777"}
		o.Config.Tty = true
	})
	want := map[string]string{"a": "b", annotationGroupAdd: `["video","777"]`, annotationDefaultEnv: "HOME,TERM"}
	if !reflect.DeepEqual(s.Annotations, want) {
		t.Errorf("annotations = %v, want %v", s.Annotations, want)
	}
}
