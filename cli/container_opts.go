package cli

import (
	"time"

	"github.com/spf13/pflag"
)

// containerOptions are the flags of "berth create" and "berth run" that
// describe the container; parse (container_parse.go) turns them into the
// Config, HostConfig and NetworkingConfig that the daemon receives, the
// way the docker CLI builds them.
type containerOptions struct {
	flags *pflag.FlagSet // to tell a flag given from its default

	Image string
	Args  []string

	attach, env, envFile, labels, labelFile []string
	entrypoint, hostname, domainname        string
	user, workdir, restart                  string
	stopSignal                              string
	stopTimeout                             int
	groupAdd, sysctls                       []string
	stdin, tty, readOnly, autoRemove, init  bool

	capAdd, capDrop, securityOpt []string
	privileged                   bool
	userns, cgroupns             string

	addHost, dns, dnsOption, dnsSearch, expose []string
	publish, networks, networkAlias            []string
	ip, ip6, macAddress                        string
	publishAll                                 bool

	logDriver, volumeDriver   string
	logOpt, tmpfs, volumes    []string
	volumesFrom, devices      []string
	mounts                    mountList
	healthCmd                 string
	healthInterval            time.Duration
	healthTimeout             time.Duration
	healthStartPeriod         time.Duration
	healthStartInterval       time.Duration
	healthRetries             int
	noHealthcheck             bool
	cpuShares, cpuPeriod      int64
	cpuQuota, swappiness      int64
	pidsLimit                 int64
	cpus                      nanoCPUs
	cpusetCPUs, cpusetMems    string
	memory, memoryReservation memBytes
	memorySwap                memSwapBytes
	shmSize                   memBytes
	oomKillDisable            bool
	oomScoreAdj               int
	ulimits                   ulimitList
	cgroupParent, ipc, pid    string
	uts, runtime              string

	blkioWeight                     uint16
	blkioWeightDevice               []string
	deviceReadBps, deviceWriteBps   []string
	deviceReadIOps, deviceWriteIOps []string
	deviceCgroupRules, gpus         []string
	cpuRtPeriod, cpuRtRuntime       int64
	kernelMemory                    memBytes // accepted and dropped, as the docker CLI does at API >= 1.42
}

// addContainerFlags defines the container flags on fs with docker's names,
// defaults and help texts. lookupEnv resolves "-e NAME" without a value.
func addContainerFlags(fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) *containerOptions {
	o := &containerOptions{flags: fs}
	addGeneralFlags(fs, o, lookupEnv)
	addSecurityFlags(fs, o)
	addNetworkFlags(fs, o)
	addStorageFlags(fs, o)
	addResourceFlags(fs, o)
	return o
}

func addGeneralFlags(fs *pflag.FlagSet, o *containerOptions, lookupEnv func(string) (string, bool)) {
	fs.VarP(newCheckedList(&o.attach, validateAttach), "attach", "a", "Attach to STDIN, STDOUT or STDERR")
	fs.VarP(newCheckedList(&o.env, validateEnv(lookupEnv)), "env", "e", "Set environment variables")
	fs.Var(newListValue(&o.envFile), "env-file", "Read in a file of environment variables")
	fs.StringVar(&o.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	fs.Var(newListValue(&o.groupAdd), "group-add", "Add additional groups to join")
	fs.StringVarP(&o.hostname, "hostname", "h", "", "Container host name")
	fs.StringVar(&o.domainname, "domainname", "", "Container NIS domain name")
	fs.BoolVarP(&o.stdin, "interactive", "i", false, "Keep STDIN open even if not attached")
	fs.VarP(newCheckedList(&o.labels, validateLabel), "label", "l", "Set meta data on a container")
	fs.Var(newListValue(&o.labelFile), "label-file", "Read in a line delimited file of labels")
	fs.BoolVar(&o.readOnly, "read-only", false, "Mount the container's root filesystem as read only")
	fs.StringVar(&o.restart, "restart", "no", "Restart policy to apply when a container exits")
	fs.StringVar(&o.stopSignal, "stop-signal", "", "Signal to stop the container")
	fs.IntVar(&o.stopTimeout, "stop-timeout", 0, "Timeout (in seconds) to stop a container")
	fs.Var(newListValue(&o.sysctls), "sysctl", "Sysctl options")
	fs.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	fs.Var(&o.ulimits, "ulimit", "Ulimit options")
	fs.StringVarP(&o.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	fs.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	fs.BoolVar(&o.autoRemove, "rm", false, "Automatically remove the container and its associated anonymous volumes when it exits")
	fs.BoolVar(&o.init, "init", false, "Run an init inside the container that forwards signals and reaps processes")
	fs.StringVar(&o.runtime, "runtime", "", "Runtime to use for this container")
}

func addSecurityFlags(fs *pflag.FlagSet, o *containerOptions) {
	fs.Var(newListValue(&o.capAdd), "cap-add", "Add Linux capabilities")
	fs.Var(newListValue(&o.capDrop), "cap-drop", "Drop Linux capabilities")
	fs.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to this container")
	fs.Var(newListValue(&o.securityOpt), "security-opt", "Security Options")
	fs.StringVar(&o.userns, "userns", "", "User namespace to use")
	fs.StringVar(&o.cgroupns, "cgroupns", "", `Cgroup namespace to use (host|private)
'host':    Run the container in the Berth host's cgroup namespace
'private': Run the container in its own private cgroup namespace
'':        Use the cgroup namespace as configured by the
           default-cgroupns-mode option on the daemon (default)`)
}

func addNetworkFlags(fs *pflag.FlagSet, o *containerOptions) {
	fs.Var(newListValue(&o.addHost), "add-host", "Add a custom host-to-IP mapping (host:ip)")
	fs.Var(newListValue(&o.dns), "dns", "Set custom DNS servers")
	fs.Var(newListValue(&o.dnsOption), "dns-option", "Set DNS options")
	fs.Var(newListValue(&o.dnsSearch), "dns-search", "Set custom DNS search domains")
	fs.Var(newListValue(&o.expose), "expose", "Expose a port or a range of ports")
	fs.StringVar(&o.ip, "ip", "", "IPv4 address (e.g., 172.30.100.104)")
	fs.StringVar(&o.ip6, "ip6", "", "IPv6 address (e.g., 2001:db8::33)")
	fs.StringVar(&o.macAddress, "mac-address", "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
	fs.VarP(newListValue(&o.publish), "publish", "p", "Publish a container's port(s) to the host")
	fs.BoolVarP(&o.publishAll, "publish-all", "P", false, "Publish all exposed ports to random ports")
	fs.Var(newListValue(&o.networks), "network", "Connect a container to a network")
	fs.Var(newListValue(&o.networks), "net", "Connect a container to a network")
	_ = fs.MarkHidden("net")
	fs.Var(newListValue(&o.networkAlias), "network-alias", "Add network-scoped alias for the container")
}

func addStorageFlags(fs *pflag.FlagSet, o *containerOptions) {
	fs.StringVar(&o.logDriver, "log-driver", "", "Logging driver for the container")
	fs.Var(newListValue(&o.logOpt), "log-opt", "Log driver options")
	fs.Var(newListValue(&o.tmpfs), "tmpfs", "Mount a tmpfs directory")
	fs.VarP(newListValue(&o.volumes), "volume", "v", "Bind mount a volume")
	fs.StringVar(&o.volumeDriver, "volume-driver", "", "Optional volume driver for the container")
	fs.Var(newListValue(&o.volumesFrom), "volumes-from", "Mount volumes from the specified container(s)")
	fs.Var(&o.mounts, "mount", "Attach a filesystem mount to the container")
	fs.Var(newListValue(&o.devices), "device", "Add a host device to the container")
	fs.StringVar(&o.healthCmd, "health-cmd", "", "Command to run to check health")
	fs.DurationVar(&o.healthInterval, "health-interval", 0, "Time between running the check (ms|s|m|h) (default 0s)")
	fs.IntVar(&o.healthRetries, "health-retries", 0, "Consecutive failures needed to report unhealthy")
	fs.DurationVar(&o.healthTimeout, "health-timeout", 0, "Maximum time to allow one check to run (ms|s|m|h) (default 0s)")
	fs.DurationVar(&o.healthStartPeriod, "health-start-period", 0, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)")
	fs.DurationVar(&o.healthStartInterval, "health-start-interval", 0, "Time between running the check during the start period (ms|s|m|h) (default 0s)")
	fs.BoolVar(&o.noHealthcheck, "no-healthcheck", false, "Disable any container-specified HEALTHCHECK")
}

func addResourceFlags(fs *pflag.FlagSet, o *containerOptions) {
	fs.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Var(&o.cpus, "cpus", "Number of CPUs")
	fs.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	fs.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	fs.StringVar(&o.cpusetCPUs, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.StringVar(&o.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	fs.VarP(&o.memory, "memory", "m", "Memory limit")
	fs.Var(&o.memoryReservation, "memory-reservation", "Memory soft limit")
	fs.Var(&o.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	fs.Int64Var(&o.swappiness, "memory-swappiness", -1, "Tune container memory swappiness (0 to 100)")
	fs.BoolVar(&o.oomKillDisable, "oom-kill-disable", false, "Disable OOM Killer")
	fs.IntVar(&o.oomScoreAdj, "oom-score-adj", 0, "Tune host's OOM preferences (-1000 to 1000)")
	fs.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fs.Var(&o.shmSize, "shm-size", "Size of /dev/shm")
	fs.StringVar(&o.cgroupParent, "cgroup-parent", "", "Optional parent cgroup for the container")
	fs.StringVar(&o.ipc, "ipc", "", "IPC mode to use")
	fs.StringVar(&o.pid, "pid", "", "PID namespace to use")
	fs.StringVar(&o.uts, "uts", "", "UTS namespace to use")
	addDeviceResourceFlags(fs, o)
}

func addDeviceResourceFlags(fs *pflag.FlagSet, o *containerOptions) {
	fs.Uint16Var(&o.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	fs.Var(newListValue(&o.blkioWeightDevice), "blkio-weight-device", "Block IO weight (relative device weight)")
	fs.Var(newListValue(&o.deviceReadBps), "device-read-bps", "Limit read rate (bytes per second) from a device")
	fs.Var(newListValue(&o.deviceWriteBps), "device-write-bps", "Limit write rate (bytes per second) to a device")
	fs.Var(newListValue(&o.deviceReadIOps), "device-read-iops", "Limit read rate (IO per second) from a device")
	fs.Var(newListValue(&o.deviceWriteIOps), "device-write-iops", "Limit write rate (IO per second) to a device")
	fs.Var(newListValue(&o.deviceCgroupRules), "device-cgroup-rule", "Add a rule to the cgroup allowed devices list")
	fs.Var(newListValue(&o.gpus), "gpus", "GPU devices to add to the container ('all' to pass all GPUs)")
	fs.Int64Var(&o.cpuRtPeriod, "cpu-rt-period", 0, "Limit CPU real-time period in microseconds")
	fs.Int64Var(&o.cpuRtRuntime, "cpu-rt-runtime", 0, "Limit CPU real-time runtime in microseconds")
	fs.Var(&o.kernelMemory, "kernel-memory", "Kernel memory limit")
}
