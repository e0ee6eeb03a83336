package spec

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// defaultPath is Docker's PATH for a container whose env has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Annotations Generate records for ExecProcess (see the package doc).
const (
	annotationGroupAdd   = "org.berth.group-add"
	annotationDefaultEnv = "org.berth.default-env"
)

// Options is what Generate needs to know about one container.
type Options struct {
	ID          string                // container ID (64 hex); the spec itself does not need it
	Rootfs      string                // absolute path of the mounted rootfs
	Config      *container.Config     // already merged with the image (MergeImageConfig)
	HostConfig  *container.HostConfig // as stored at create, with the daemon's defaults applied
	Hostname    string                // defaults to Config.Hostname
	EtcFiles    map[string]string     // container path -> host file to bind (/etc/hosts, /etc/resolv.conf, /etc/hostname); rw unless ReadonlyRootfs
	CgroupsPath string                // e.g. "/berth/<id>" (cgroupfs)
	InitPath    string                // host path of the init for HostConfig.Init, bind-mounted read-only at /sbin/docker-init
	NetNSPath   string                // "" = a new network namespace
	PidNSPath   string                // PidMode "container:<id>": that container's PID namespace
	IpcNSPath   string                // IpcMode "container:<id>": that container's IPC namespace
	ShmPath     string                // a host tmpfs bound at /dev/shm (IpcMode "shareable", "container:<id>")
	LinkEnv     []string              // the variables of legacy links (--link on the default bridge)
}

// ociVersion is the runtime-spec version the generated config claims. It is
// the oldest that has every field used here, so older runtimes accept it
// (crun 1.8 rejects the 1.3.0 of the runtime-spec module).
const ociVersion = "1.0.2"

// Generate builds the OCI runtime spec of a container as dockerd does.
//
// Process.OOMScoreAdj is HostConfig.OomScoreAdj as given. Writing a negative
// value needs CAP_SYS_RESOURCE, which hosts such as this project's VM lack:
// the caller clamps it to what the host allows.
func Generate(opts Options) (*specs.Spec, error) {
	if opts.Config == nil || opts.HostConfig == nil || !filepath.IsAbs(opts.Rootfs) {
		return nil, invalidf("spec: Config, HostConfig and an absolute Rootfs are required")
	}
	hc := opts.HostConfig
	so, err := parseSecurityOpts(hc.SecurityOpt)
	if err != nil {
		return nil, err
	}
	available, err := availableCaps()
	if err != nil {
		return nil, err
	}
	caps, err := capabilities(hc, available)
	if err != nil {
		return nil, err
	}
	s := &specs.Spec{
		Version:     ociVersion,
		Root:        &specs.Root{Path: opts.Rootfs, Readonly: hc.ReadonlyRootfs},
		Hostname:    utsHostname(opts),
		Annotations: annotations(opts),
	}
	if s.Process, err = process(opts, caps, so); err != nil {
		return nil, err
	}
	if s.Mounts, err = mounts(opts, so); err != nil {
		return nil, err
	}
	if s.Linux, err = linux(opts); err != nil {
		return nil, err
	}
	if s.Linux.Seccomp, err = seccompProfile(s, so, hc.Privileged); err != nil {
		return nil, err
	}
	return s, nil
}

// hostname is the container's hostname, also its HOSTNAME variable.
func hostname(opts Options) string {
	if opts.Hostname != "" {
		return opts.Hostname
	}
	return opts.Config.Hostname
}

// utsHostname is the spec's hostname: none in the host's UTS namespace.
func utsHostname(opts Options) string {
	if opts.HostConfig.UTSMode.IsHost() {
		return ""
	}
	return hostname(opts)
}

func linux(opts Options) (*specs.Linux, error) {
	hc := opts.HostConfig
	ns, err := namespaces(opts)
	if err != nil {
		return nil, err
	}
	rules, err := deviceRules(hc)
	if err != nil {
		return nil, err
	}
	res, err := resources(hc.Resources, rules)
	if err != nil {
		return nil, err
	}
	l := &specs.Linux{
		Namespaces:    ns,
		Resources:     res,
		CgroupsPath:   opts.CgroupsPath,
		Sysctl:        sysctls(opts),
		MaskedPaths:   hc.MaskedPaths,
		ReadonlyPaths: hc.ReadonlyPaths,
	}
	if hc.MaskedPaths == nil && !hc.Privileged {
		l.MaskedPaths = defaultMaskedPaths()
	}
	if hc.ReadonlyPaths == nil && !hc.Privileged {
		l.ReadonlyPaths = defaultReadonlyPaths()
	}
	if l.Devices, err = containerDevices(hc); err != nil {
		return nil, err
	}
	return l, nil
}

// process builds the container's init process: argv (behind the init with
// HostConfig.Init), user, env, working directory, TTY, capabilities,
// rlimits, no-new-privileges and OOM score.
func process(opts Options, caps []string, so securityOpts) (*specs.Process, error) {
	cfg, hc := opts.Config, opts.HostConfig
	path, args := Command(cfg)
	if path == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage("no command specified")
	}
	argv := append([]string{path}, args...)
	if useInit(hc) {
		if opts.InitPath == "" {
			return nil, invalidf("spec: HostConfig.Init needs InitPath")
		}
		argv = append([]string{initPathInContainer, "--"}, argv...)
	}
	cwd := cfg.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	if !filepath.IsAbs(cwd) {
		return nil, invalidf("the working directory '%s' is invalid, it needs to be an absolute path", cfg.WorkingDir)
	}
	user, home, err := ResolveUser(opts.Rootfs, cfg.User, hc.GroupAdd)
	if err != nil {
		return nil, err
	}
	user.Umask = hc.Umask
	oom := hc.OomScoreAdj
	p := &specs.Process{
		Terminal:        cfg.Tty,
		User:            user,
		Args:            argv,
		Env:             containerEnv(cfg, hostname(opts), home, opts.LinkEnv),
		Cwd:             filepath.Clean(cwd),
		Capabilities:    capSet(caps),
		Rlimits:         rlimits(hc.Ulimits),
		NoNewPrivileges: so.noNewPrivileges,
		OOMScoreAdj:     &oom,
	}
	if cfg.Tty && (hc.ConsoleSize[0] > 0 || hc.ConsoleSize[1] > 0) {
		p.ConsoleSize = &specs.Box{Height: hc.ConsoleSize[0], Width: hc.ConsoleSize[1]}
	}
	return p, nil
}

func capSet(caps []string) *specs.LinuxCapabilities {
	return &specs.LinuxCapabilities{Bounding: caps, Effective: slices.Clone(caps), Permitted: slices.Clone(caps)}
}

// containerEnv is Docker's process environment: PATH, HOSTNAME and (with a
// TTY) TERM=xterm, then the links' variables, overridden by Config.Env;
// then HOME, the user's home, when Config.Env has none (runc would set the
// same).
func containerEnv(cfg *container.Config, hostname, home string, linkEnv []string) []string {
	env := []string{"PATH=" + defaultPath, "HOSTNAME=" + hostname}
	if cfg.Tty {
		env = append(env, "TERM=xterm")
	}
	env = replaceOrAppendEnv(env, linkEnv)
	env = replaceOrAppendEnv(env, cfg.Env)
	if !hasEnv(env, "HOME") {
		env = append(env, "HOME="+home)
	}
	return env
}

// defaultedEnv lists the per-process variables containerEnv set by default
// rather than from Config.Env.
func defaultedEnv(cfg *container.Config) []string {
	sets := func(key string) bool {
		return slices.ContainsFunc(cfg.Env, func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
	}
	var keys []string
	if !sets("HOME") {
		keys = append(keys, "HOME")
	}
	if cfg.Tty && !sets("TERM") {
		keys = append(keys, "TERM")
	}
	return keys
}

func annotations(opts Options) map[string]string {
	a := maps.Clone(opts.HostConfig.Annotations)
	if a == nil {
		a = make(map[string]string)
	}
	if keys := defaultedEnv(opts.Config); len(keys) > 0 {
		a[annotationDefaultEnv] = strings.Join(keys, ",")
	}
	if len(opts.HostConfig.GroupAdd) > 0 {
		b, _ := json.Marshal(opts.HostConfig.GroupAdd)
		a[annotationGroupAdd] = string(b)
	}
	return a
}

// sysctls are Docker's: kernel.domainname for Config.Domainname; with a
// network namespace of its own, unprivileged ping and low ports (where the
// kernel has those sysctls); then HostConfig.Sysctls, which win.
func sysctls(opts Options) map[string]string {
	s := make(map[string]string)
	if opts.Config.Domainname != "" {
		s["kernel.domainname"] = opts.Config.Domainname
	}
	if opts.HostConfig.NetworkMode.IsPrivate() {
		if sysctlExists("net.ipv4.ping_group_range") {
			s["net.ipv4.ping_group_range"] = "0 2147483647"
		}
		if sysctlExists("net.ipv4.ip_unprivileged_port_start") {
			s["net.ipv4.ip_unprivileged_port_start"] = "0"
		}
	}
	maps.Copy(s, opts.HostConfig.Sysctls)
	return s
}

func sysctlExists(name string) bool {
	_, err := os.Stat(filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/")))
	return err == nil
}
