package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// containerConfig is what a create request carries.
type containerConfig struct {
	Config           *container.Config
	HostConfig       *container.HostConfig
	NetworkingConfig *network.NetworkingConfig
}

// parse builds the create request from the options, as the docker CLI
// does: -a (or, without it, stdout and stderr) picks the attached streams,
// -i attaches stdin and makes it StdinOnce, env files come before -e,
// label files before -l, and an empty --entrypoint resets the image's.
func (o *containerOptions) parse(lookupEnv func(string) (string, bool)) (*containerConfig, error) {
	cfg, err := o.config(lookupEnv)
	if err != nil {
		return nil, err
	}
	hc, err := o.hostConfig()
	if err != nil {
		return nil, err
	}
	exposed, bindings, err := parsePublish(o.publish)
	if err != nil {
		return nil, err
	}
	if err := parseExpose(exposed, o.expose); err != nil {
		return nil, err
	}
	if len(exposed) > 0 {
		cfg.ExposedPorts = exposed
	}
	hc.PortBindings = bindings
	netCfg, err := o.networkingConfig(hc)
	if err != nil {
		return nil, err
	}
	// the anonymous volumes go in Config, the others are binds
	for _, v := range o.volumes {
		if volumeHasSource(v) {
			hc.Binds = append(hc.Binds, v)
		} else {
			cfg.Volumes[v] = struct{}{}
		}
	}
	if cfg.OpenStdin && cfg.AttachStdin {
		cfg.StdinOnce = true
	}
	return &containerConfig{Config: cfg, HostConfig: hc, NetworkingConfig: netCfg}, nil
}

func (o *containerOptions) config(lookupEnv func(string) (string, bool)) (*container.Config, error) {
	env, err := readKVFiles(o.envFile, lookupEnv)
	if err != nil {
		return nil, err
	}
	env = append(env, o.env...)
	labelLines, err := readKVFiles(o.labelFile, nil)
	if err != nil {
		return nil, err
	}
	health, err := o.healthConfig()
	if err != nil {
		return nil, err
	}
	cfg := &container.Config{
		Hostname:    o.hostname,
		Domainname:  o.domainname,
		User:        o.user,
		Tty:         o.tty,
		OpenStdin:   o.stdin,
		Env:         nilIfEmpty(env),
		Image:       o.Image,
		Volumes:     map[string]struct{}{},
		WorkingDir:  o.workdir,
		Labels:      kvMap(append(labelLines, o.labels...)),
		Healthcheck: health,
	}
	if len(o.Args) > 0 {
		cfg.Cmd = o.Args
	}
	if o.entrypoint != "" {
		cfg.Entrypoint = []string{o.entrypoint}
	} else if o.flags.Changed("entrypoint") {
		cfg.Entrypoint = []string{""}
	}
	if o.flags.Changed("stop-signal") {
		cfg.StopSignal = o.stopSignal
	}
	if o.flags.Changed("stop-timeout") {
		cfg.StopTimeout = &o.stopTimeout
	}
	cfg.AttachStdin, cfg.AttachStdout, cfg.AttachStderr = o.attachedStreams()
	return cfg, nil
}

// attachedStreams: -a names them; without -a, stdout and stderr; -i adds
// stdin.
func (o *containerOptions) attachedStreams() (stdin, stdout, stderr bool) {
	if len(o.attach) == 0 {
		stdout, stderr = true, true
	}
	for _, s := range o.attach {
		switch s {
		case "stdin":
			stdin = true
		case "stdout":
			stdout = true
		case "stderr":
			stderr = true
		}
	}
	return stdin || o.stdin, stdout, stderr
}

func (o *containerOptions) healthConfig() (*container.HealthConfig, error) {
	have := o.healthCmd != "" || o.healthInterval != 0 || o.healthTimeout != 0 ||
		o.healthStartPeriod != 0 || o.healthRetries != 0 || o.healthStartInterval != 0
	if o.noHealthcheck {
		if have {
			return nil, errors.New("--no-healthcheck conflicts with --health-* options")
		}
		return &container.HealthConfig{Test: []string{"NONE"}}, nil
	}
	if !have {
		return nil, nil
	}
	switch {
	case o.healthInterval < 0:
		return nil, errors.New("--health-interval cannot be negative")
	case o.healthTimeout < 0:
		return nil, errors.New("--health-timeout cannot be negative")
	case o.healthRetries < 0:
		return nil, errors.New("--health-retries cannot be negative")
	case o.healthStartPeriod < 0:
		return nil, errors.New("--health-start-period cannot be negative")
	case o.healthStartInterval < 0:
		return nil, errors.New("--health-start-interval cannot be negative")
	}
	h := &container.HealthConfig{
		Interval:      o.healthInterval,
		Timeout:       o.healthTimeout,
		StartPeriod:   o.healthStartPeriod,
		StartInterval: o.healthStartInterval,
		Retries:       o.healthRetries,
	}
	if o.healthCmd != "" {
		h.Test = []string{"CMD-SHELL", o.healthCmd}
	}
	return h, nil
}

func (o *containerOptions) hostConfig() (*container.HostConfig, error) {
	if o.swappiness != -1 && (o.swappiness < 0 || o.swappiness > 100) {
		return nil, fmt.Errorf("invalid value: %d. Valid memory swappiness range is 0-100", o.swappiness)
	}
	restart, err := parseRestartPolicy(o.restart)
	if err != nil {
		return nil, err
	}
	if o.autoRemove && !restart.IsNone() {
		return nil, errors.New("conflicting options: cannot specify both --restart and --rm")
	}
	if o.logDriver == "none" && len(o.logOpt) > 0 {
		return nil, fmt.Errorf("invalid logging opts for driver %s", o.logDriver)
	}
	securityOpts, masked, readonly, err := parseSecurityOpts(o.securityOpt)
	if err != nil {
		return nil, err
	}
	dns, err := parseDNS(o.dns)
	if err != nil {
		return nil, err
	}
	resources, err := o.resources()
	if err != nil {
		return nil, err
	}
	for _, mode := range []struct{ flag, value string }{{"pid", o.pid}, {"uts", o.uts}, {"userns", o.userns}, {"cgroupns", o.cgroupns}} {
		if err := checkNamespaceMode(mode.flag, mode.value); err != nil {
			return nil, err
		}
	}
	hc := &container.HostConfig{
		LogConfig:       container.LogConfig{Type: o.logDriver, Config: kvMap(o.logOpt)},
		RestartPolicy:   restart,
		AutoRemove:      o.autoRemove,
		VolumeDriver:    o.volumeDriver,
		VolumesFrom:     o.volumesFrom,
		CapAdd:          o.capAdd,
		CapDrop:         o.capDrop,
		CgroupnsMode:    container.CgroupnsMode(o.cgroupns),
		DNS:             dns,
		DNSOptions:      emptyIfNil(o.dnsOption),
		DNSSearch:       emptyIfNil(o.dnsSearch),
		ExtraHosts:      o.addHost,
		GroupAdd:        o.groupAdd,
		IpcMode:         container.IpcMode(o.ipc),
		OomScoreAdj:     o.oomScoreAdj,
		PidMode:         container.PidMode(o.pid),
		Privileged:      o.privileged,
		PublishAllPorts: o.publishAll,
		ReadonlyRootfs:  o.readOnly,
		SecurityOpt:     securityOpts,
		Tmpfs:           parseTmpfs(o.tmpfs),
		UTSMode:         container.UTSMode(o.uts),
		UsernsMode:      container.UsernsMode(o.userns),
		ShmSize:         int64(o.shmSize),
		Sysctls:         nilIfEmptyMap(kvMap(o.sysctls)),
		Runtime:         o.runtime,
		Resources:       resources,
		Mounts:          o.mounts.values,
		MaskedPaths:     masked,
		ReadonlyPaths:   readonly,
	}
	if o.flags.Changed("init") {
		hc.Init = &o.init
	}
	return hc, nil
}

func (o *containerOptions) resources() (container.Resources, error) {
	devices := []container.DeviceMapping{}
	for _, d := range o.devices {
		m, err := parseDevice(d)
		if err != nil {
			return container.Resources{}, err
		}
		devices = append(devices, m)
	}
	swappiness, oomKillDisable, pidsLimit := o.swappiness, o.oomKillDisable, o.pidsLimit
	gpus, err := o.deviceRequests()
	if err != nil {
		return container.Resources{}, err
	}
	r := container.Resources{
		CPUShares:         o.cpuShares,
		Memory:            int64(o.memory),
		NanoCPUs:          int64(o.cpus),
		CgroupParent:      o.cgroupParent,
		CPUPeriod:         o.cpuPeriod,
		CPUQuota:          o.cpuQuota,
		CpusetCpus:        o.cpusetCPUs,
		CpusetMems:        o.cpusetMems,
		Devices:           devices,
		MemoryReservation: int64(o.memoryReservation),
		MemorySwap:        int64(o.memorySwap),
		MemorySwappiness:  &swappiness,
		OomKillDisable:    &oomKillDisable,
		PidsLimit:         &pidsLimit,
		Ulimits:           append([]*container.Ulimit{}, o.ulimits.values...),
		DeviceRequests:    gpus,
	}
	r.DeviceCgroupRules, r.CPURealtimePeriod, r.CPURealtimeRuntime = o.deviceCgroupRules, o.cpuRtPeriod, o.cpuRtRuntime
	return r, o.blkioResources(&r)
}

// networkingConfig sets the network mode and the endpoint settings. The
// first network gets --network-alias, --ip and --ip6. Like docker, no
// --network means the "default" network, sent with an empty endpoint; a
// single network without settings is sent without one.
func (o *containerOptions) networkingConfig(hc *container.HostConfig) (*network.NetworkingConfig, error) {
	nets := o.networks
	if len(nets) == 0 {
		nets = []string{"default"}
	}
	hc.NetworkMode = container.NetworkMode(nets[0])
	endpoints := map[string]*network.EndpointSettings{}
	for i, name := range nets {
		if _, dup := endpoints[name]; dup {
			return nil, fmt.Errorf("network %q is specified multiple times", name)
		}
		ep := &network.EndpointSettings{}
		if i == 0 {
			if err := o.applyEndpointOptions(name, ep); err != nil {
				return nil, err
			}
			if len(nets) == 1 && name != "default" && ep.IPAMConfig == nil && len(ep.Aliases) == 0 && len(ep.MacAddress) == 0 {
				continue
			}
		}
		endpoints[name] = ep
	}
	return &network.NetworkingConfig{EndpointsConfig: endpoints}, nil
}

func (o *containerOptions) applyEndpointOptions(name string, ep *network.EndpointSettings) error {
	userDefined := !isBuiltinNetwork(name)
	if len(o.networkAlias) > 0 {
		if !userDefined {
			return errors.New("network-scoped aliases are only supported for user-defined networks")
		}
		ep.Aliases = append([]string(nil), o.networkAlias...)
	}
	if o.macAddress != "" {
		mac, err := net.ParseMAC(o.macAddress)
		if err != nil {
			return fmt.Errorf("%s is not a valid mac address", o.macAddress)
		}
		ep.MacAddress = network.HardwareAddr(mac)
	}
	if o.ip == "" && o.ip6 == "" {
		return nil
	}
	ep.IPAMConfig = &network.EndpointIPAMConfig{}
	for _, a := range []struct {
		value string
		dst   *netip.Addr
	}{{o.ip, &ep.IPAMConfig.IPv4Address}, {o.ip6, &ep.IPAMConfig.IPv6Address}} {
		if a.value == "" {
			continue
		}
		addr, err := netip.ParseAddr(a.value)
		if err != nil {
			return fmt.Errorf("invalid IP address: %s", a.value)
		}
		*a.dst = addr
	}
	return nil
}

func isBuiltinNetwork(name string) bool {
	switch {
	case name == "default", name == "bridge", name == "host", name == "none",
		strings.HasPrefix(name, "container:"):
		return true
	}
	return false
}

// volumeHasSource tells a bind or named volume ("src:/dst[:mode]") from an
// anonymous volume ("/dst").
func volumeHasSource(spec string) bool {
	src, _, ok := strings.Cut(spec, ":")
	return ok && src != ""
}

// parseRestartPolicy parses "no", "always", "unless-stopped" and
// "on-failure[:max-retries]"; the daemon checks the name.
func parseRestartPolicy(policy string) (container.RestartPolicy, error) {
	if policy == "" {
		return container.RestartPolicy{}, nil
	}
	name, count, hasCount := strings.Cut(policy, ":")
	if hasCount && name == "" {
		return container.RestartPolicy{}, errors.New("invalid restart policy format: no policy provided before colon")
	}
	p := container.RestartPolicy{Name: container.RestartPolicyMode(name)}
	if count != "" {
		n, err := strconv.Atoi(count)
		if err != nil {
			return container.RestartPolicy{}, errors.New("invalid restart policy format: maximum retry count must be an integer")
		}
		p.MaximumRetryCount = n
	}
	return p, nil
}

// parseSecurityOpts checks --security-opt values, inlines a seccomp
// profile file, and handles "systempaths=unconfined" on the client: it
// becomes empty masked and read-only path lists.
func parseSecurityOpts(values []string) (opts, masked, readonly []string, err error) {
	for _, opt := range values {
		if opt == "systempaths=unconfined" {
			masked, readonly = []string{}, []string{}
			continue
		}
		key, value, ok := strings.Cut(opt, "=")
		if !ok && key != "no-new-privileges" {
			if key, value, ok = strings.Cut(opt, ":"); !ok {
				return nil, nil, nil, fmt.Errorf("Invalid --security-opt: %q", opt)
			}
		}
		if key == "seccomp" && value != "unconfined" && value != "builtin" {
			profile, err := os.ReadFile(value)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("opening seccomp profile (%s) failed: %w", value, err)
			}
			var b bytes.Buffer
			if err := json.Compact(&b, profile); err != nil {
				return nil, nil, nil, fmt.Errorf("compacting json for seccomp profile (%s) failed: %w", value, err)
			}
			opt = "seccomp=" + b.String()
		}
		opts = append(opts, opt)
	}
	return opts, masked, readonly, nil
}

func parseDNS(values []string) ([]netip.Addr, error) {
	addrs := []netip.Addr{}
	for _, v := range values {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("ip address is not correctly formatted: %s", v)
		}
		addrs = append(addrs, a)
	}
	return addrs, nil
}

func parseTmpfs(values []string) map[string]string {
	if len(values) == 0 {
		return nil
	}
	m := make(map[string]string, len(values))
	for _, t := range values {
		dst, opts, _ := strings.Cut(t, ":")
		m[dst] = opts
	}
	return m
}

// parseDevice parses "host[:container][:permissions]".
func parseDevice(spec string) (container.DeviceMapping, error) {
	parts := strings.Split(spec, ":")
	m := container.DeviceMapping{CgroupPermissions: "rwm"}
	switch len(parts) {
	case 3:
		m.PathInContainer, m.CgroupPermissions = parts[1], parts[2]
	case 2:
		if validDeviceMode(parts[1]) {
			m.CgroupPermissions = parts[1]
		} else {
			m.PathInContainer = parts[1]
		}
	case 1:
	default:
		return m, fmt.Errorf("invalid device specification: %s", spec)
	}
	m.PathOnHost = parts[0]
	if m.PathInContainer == "" {
		m.PathInContainer = m.PathOnHost
	}
	if !validDeviceMode(m.CgroupPermissions) {
		return m, fmt.Errorf("bad mode specified: %s", m.CgroupPermissions)
	}
	if !path.IsAbs(m.PathInContainer) {
		return m, fmt.Errorf("%s is not an absolute path", m.PathInContainer)
	}
	return m, nil
}

func validDeviceMode(mode string) bool {
	if mode == "" || len(mode) > 3 {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range mode {
		if !strings.ContainsRune("rwm", c) || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

func checkNamespaceMode(flag, value string) error {
	if value == "" {
		return nil
	}
	var ok bool
	switch flag {
	case "pid", "uts":
		ok = value == "host" || flag == "pid" && strings.HasPrefix(value, "container:") && len(value) > len("container:")
	case "userns":
		ok = value == "host" || value == "private"
	case "cgroupns":
		ok = value == "host" || value == "private"
	}
	if !ok {
		kind := map[string]string{"pid": "PID", "uts": "UTS", "userns": "USER", "cgroupns": "CGROUP"}[flag]
		return fmt.Errorf("--%s: invalid %s mode", flag, kind)
	}
	return nil
}

// readKVFiles reads env or label files: one KEY=VALUE a line, blank lines
// and "#" comments skipped, a UTF-8 BOM dropped. A line with only a KEY
// takes its value from lookup, and is left out when lookup is nil or does
// not know it.
func readKVFiles(files []string, lookup func(string) (string, bool)) ([]string, error) {
	var lines []string
	for _, f := range files {
		l, err := readKVFile(f, lookup)
		if err != nil {
			return nil, err
		}
		lines = append(lines, l...)
	}
	return lines, nil
}

func readKVFile(filename string, lookup func(string) (string, bool)) ([]string, error) {
	data, err := os.ReadFile(filename)
	if err != nil {
		return nil, err
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})))
	for n := 1; sc.Scan(); n++ {
		if !utf8.Valid(sc.Bytes()) {
			return nil, fmt.Errorf("env file %s contains invalid utf8 bytes at line %d: %v", filename, n, sc.Bytes())
		}
		line := strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, hasValue := strings.Cut(line, "=")
		if strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("poorly formatted environment: variable '%s' contains whitespaces", name)
		}
		if name == "" {
			return nil, fmt.Errorf("poorly formatted environment: no variable name on line '%s'", line)
		}
		if hasValue {
			lines = append(lines, name+"="+value)
		} else if lookup != nil {
			if v, ok := lookup(name); ok {
				lines = append(lines, name+"="+v)
			}
		}
	}
	return lines, sc.Err()
}

// kvMap converts "k=v" strings to a map; "k" alone maps to "".
func kvMap(values []string) map[string]string {
	m := make(map[string]string, len(values))
	for _, v := range values {
		k, val, _ := strings.Cut(v, "=")
		m[k] = val
	}
	return m
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func emptyIfNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nilIfEmptyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
