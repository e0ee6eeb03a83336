package daemon

import (
	"bufio"
	"context"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/berth/berth/api"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"
)

// Version answers GET /version.
func (d *Daemon) Version(context.Context) system.VersionResponse {
	kernel := kernelVersion()
	rt := d.defaultRuntime()
	return system.VersionResponse{
		Platform: system.PlatformInfo{Name: "Berth Engine"},
		Components: []system.ComponentVersion{
			{Name: "Engine", Version: Version, Details: map[string]string{
				"ApiVersion": api.MaxVersion, "MinAPIVersion": api.MinVersion, "GitCommit": GitCommit, "BuildTime": BuildTime,
				"GoVersion": runtime.Version(), "Os": runtime.GOOS, "Arch": runtime.GOARCH, "KernelVersion": kernel, "Experimental": "false",
			}},
			{Name: d.cfg.DefaultRuntime, Version: rt.Version, Details: map[string]string{"GitCommit": rt.Commit}},
		},
		GitCommit:     GitCommit,
		BuildTime:     BuildTime,
		Version:       Version,
		APIVersion:    api.MaxVersion,
		MinAPIVersion: api.MinVersion,
		GoVersion:     runtime.Version(),
		Os:            runtime.GOOS,
		Arch:          runtime.GOARCH,
		KernelVersion: kernel,
	}
}

// Info answers GET /info with figures read from the host.
func (d *Daemon) Info(ctx context.Context) (system.Info, error) {
	var mem unix.Sysinfo_t
	_ = unix.Sysinfo(&mem)
	hostname, _ := os.Hostname()
	cgroupVersion := cgroupVersion()
	runtimes := map[string]system.RuntimeWithStatus{}
	for name, rt := range d.cfg.Runtimes {
		runtimes[name] = system.RuntimeWithStatus{Runtime: system.Runtime{Path: rt.Path, Args: rt.Args}}
	}
	osName, osVersion := osRelease()
	total, running, paused := d.ctrs.Count()
	info := system.Info{
		ID:                 d.id,
		Containers:         total,
		ContainersRunning:  running,
		ContainersPaused:   paused,
		ContainersStopped:  total - running - paused,
		Images:             d.images.Count(),
		Driver:             "overlay2",
		DriverStatus:       [][2]string{{"Backing Filesystem", backingFS(d.cfg.DataRoot)}, {"Supports d_type", "true"}, {"Using metacopy", "false"}, {"Native Overlay Diff", "true"}, {"userxattr", "false"}},
		Plugins:            system.PluginsInfo{Volume: []string{"local"}, Network: []string{"bridge", "host", "none"}, Log: []string{"json-file", "local", "none"}},
		MemoryLimit:        true,
		SwapLimit:          fileExists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") || cgroupVersion == "2",
		CPUCfsPeriod:       true,
		CPUCfsQuota:        true,
		CPUShares:          true,
		CPUSet:             true,
		PidsLimit:          true,
		IPv4Forwarding:     readTrim("/proc/sys/net/ipv4/ip_forward") == "1",
		Debug:              d.cfg.LogLevel == "debug",
		NFd:                openFDs(),
		NGoroutines:        runtime.NumGoroutine(),
		SystemTime:         time.Now().Format(time.RFC3339Nano),
		LoggingDriver:      "json-file",
		CgroupDriver:       "cgroupfs",
		CgroupVersion:      cgroupVersion,
		NEventsListener:    d.bus.Subscribers(),
		KernelVersion:      kernelVersion(),
		OperatingSystem:    osName,
		OSVersion:          osVersion,
		OSType:             runtime.GOOS,
		Architecture:       machineArch(),
		IndexServerAddress: "https://index.docker.io/v1/",
		RegistryConfig:     registryConfig(d.cfg.InsecureRegistries, d.cfg.RegistryMirrors),
		NCPU:               runtime.NumCPU(),
		MemTotal:           int64(mem.Totalram) * int64(mem.Unit),
		DockerRootDir:      d.cfg.DataRoot,
		HTTPProxy:          os.Getenv("HTTP_PROXY"),
		HTTPSProxy:         os.Getenv("HTTPS_PROXY"),
		NoProxy:            os.Getenv("NO_PROXY"),
		Name:               hostname,
		Labels:             d.cfg.Labels,
		ServerVersion:      Version,
		Runtimes:           runtimes,
		DefaultRuntime:     d.cfg.DefaultRuntime,
		Swarm:              swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive},
		LiveRestoreEnabled: d.cfg.LiveRestore,
		InitBinary:         "tini",
		RuncCommit:         system.Commit{ID: d.defaultRuntime().Commit},
		SecurityOptions:    securityOptions(cgroupVersion),
		Warnings:           infoWarnings(d.cfg),
	}
	return info, nil
}

func kernelVersion() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

func machineArch() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return runtime.GOARCH
	}
	return unix.ByteSliceToString(u.Machine[:])
}

// osRelease returns PRETTY_NAME and VERSION_ID from /etc/os-release.
func osRelease() (name, version string) {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return "Linux", ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		v = strings.Trim(v, `"`)
		switch k {
		case "PRETTY_NAME":
			name = v
		case "VERSION_ID":
			version = v
		}
	}
	return name, version
}

// cgroupVersion is "2" on a unified hierarchy, else "1".
func cgroupVersion() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "2"
	}
	return "1"
}

func backingFS(path string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return "<unknown>"
	}
	switch st.Type {
	case unix.EXT4_SUPER_MAGIC:
		return "extfs"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	}
	return "<unknown>"
}

func securityOptions(cgroupVersion string) []string {
	// Only what Berth applies: no AppArmor profile even where the kernel
	// has AppArmor (dockerd lists it then, as it applies docker-default).
	opts := []string{"name=seccomp,profile=builtin"}
	if cgroupVersion == "2" {
		opts = append(opts, "name=cgroupns")
	}
	return opts
}

func registryConfig(insecure, mirrors []string) *registry.ServiceConfig {
	cidrs := []string{"127.0.0.0/8"}
	var names []string
	for _, r := range insecure {
		if strings.Contains(r, "/") {
			cidrs = append(cidrs, r)
		} else {
			names = append(names, r)
		}
	}
	cfg := &registry.ServiceConfig{
		IndexConfigs: map[string]*registry.IndexInfo{
			"docker.io": {Name: "docker.io", Mirrors: slices.Clone(mirrors), Secure: true, Official: true},
		},
		Mirrors: slices.Clone(mirrors),
	}
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil {
			cfg.InsecureRegistryCIDRs = append(cfg.InsecureRegistryCIDRs, p)
		}
	}
	for _, n := range names {
		cfg.IndexConfigs[n] = &registry.IndexInfo{Name: n, Mirrors: []string{}, Secure: false}
	}
	return cfg
}

func infoWarnings(cfg interface{ PlainTCPAllowed() bool }) []string {
	if cfg.PlainTCPAllowed() {
		return []string{"WARNING: API is accessible on plain TCP without encryption.\n         Access to the remote API is equivalent to root access on the host."}
	}
	return nil
}

func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
