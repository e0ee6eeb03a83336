package daemon

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/berth/berth/cgroups"
	"github.com/berth/berth/container"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
)

// Docker's bounds for resource settings.
const (
	minMemory      = 6 << 20 // "Minimum memory limit allowed is 6MB"
	minCPUShares   = 2
	maxCPUShares   = 262144
	minCPUPeriodUS = 1000
	maxCPUPeriodUS = 1000000
)

// adaptResources applies dockerd's create-time defaults: swap twice the
// memory limit, CPU shares within the kernel's range, OOM killer enabled.
func adaptResources(r *containertypes.Resources) {
	if r.Memory > 0 && r.MemorySwap == 0 {
		r.MemorySwap = 2 * r.Memory
	}
	if r.CPUShares > 0 {
		r.CPUShares = min(max(r.CPUShares, minCPUShares), maxCPUShares)
	}
	if r.OomKillDisable == nil {
		r.OomKillDisable = new(bool)
	}
}

// verifyResources checks resource settings as dockerd does at create and
// update, with its messages; it returns dockerd's warnings.
func verifyResources(r *containertypes.Resources, update bool) ([]string, error) {
	var warnings []string
	invalid := func(format string, args ...any) ([]string, error) {
		return warnings, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, args...))
	}
	if r.MemorySwappiness != nil && *r.MemorySwappiness == -1 {
		r.MemorySwappiness = nil // -1 is "the default", as the docker CLI sends it
	}
	switch {
	case r.Memory != 0 && r.Memory < minMemory:
		return invalid("Minimum memory limit allowed is 6MB")
	case r.Memory > 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory:
		return invalid("Minimum memoryswap limit should be larger than memory limit, see usage")
	case r.Memory == 0 && r.MemorySwap > 0 && !update:
		return invalid("You should always set the Memory limit when using Memoryswap limit, see usage")
	case r.MemorySwappiness != nil && (*r.MemorySwappiness < 0 || *r.MemorySwappiness > 100):
		return invalid("Invalid value: %v, valid memory swappiness range is 0-100", *r.MemorySwappiness)
	case r.MemoryReservation > 0 && r.MemoryReservation < minMemory:
		return invalid("Minimum memory reservation allowed is 6MB")
	case r.Memory > 0 && r.MemoryReservation > 0 && r.Memory < r.MemoryReservation:
		return invalid("Minimum memory limit can not be less than memory reservation limit, see usage")
	}
	if r.OomKillDisable != nil && *r.OomKillDisable && r.Memory == 0 {
		warnings = append(warnings, "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.")
	}
	if err := verifyCPU(r); err != nil {
		return warnings, err
	}
	if r.BlkioWeight > 0 && (r.BlkioWeight < 10 || r.BlkioWeight > 1000) {
		return invalid("Range of blkio weight is from 10 to 1000")
	}
	if r.IOMaximumBandwidth != 0 || r.IOMaximumIOps != 0 {
		return invalid("Invalid QoS settings: %s does not support Maximum IO Bandwidth or Maximum IO IOps", runtime.GOOS)
	}
	if r.CPUPercent > 0 {
		warnings = append(warnings, fmt.Sprintf("%s does not support CPU percent. Percent discarded.", runtime.GOOS))
		r.CPUPercent = 0
	}
	return warnings, nil
}

func verifyCPU(r *containertypes.Resources) error {
	invalid := func(format string, args ...any) error {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, args...))
	}
	ncpu := runtime.NumCPU()
	switch {
	case r.NanoCPUs > 0 && r.CPUPeriod > 0:
		return invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set")
	case r.NanoCPUs > 0 && r.CPUQuota > 0:
		return invalid("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
	case r.NanoCPUs < 0 || r.NanoCPUs > int64(ncpu)*1e9:
		return invalid("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", ncpu, ncpu)
	case r.CPUShares < 0:
		return invalid("invalid CPU shares (%d): value must be a positive integer", r.CPUShares)
	case r.CPUPeriod != 0 && (r.CPUPeriod < minCPUPeriodUS || r.CPUPeriod > maxCPUPeriodUS):
		return invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	case r.CPUQuota > 0 && r.CPUQuota < 1000:
		return invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	}
	return verifyCpuset(r.CpusetCpus, r.CpusetMems)
}

// verifyCpuset checks that the requested CPUs and memory nodes exist.
func verifyCpuset(cpus, mems string) error {
	if cpus == "" && mems == "" {
		return nil
	}
	haveCPUs, haveMems, err := cgroups.Cpuset(cgroups.Root)
	if err != nil {
		return nil // no cpuset controller: the runtime says what it thinks
	}
	for _, c := range []struct{ kind, what, requested, available string }{
		{"cpus", "CPUs", cpus, haveCPUs}, {"mems", "memory nodes", mems, haveMems},
	} {
		if c.requested == "" {
			continue
		}
		want, err := cgroups.ParseList(c.requested)
		if err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("Invalid value %s for cpuset %s: %v", c.requested, c.kind, err))
		}
		have, err := cgroups.ParseList(c.available)
		if err != nil || c.available == "" {
			continue
		}
		for n := range want {
			if !have[n] {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("Requested %s are not available - requested %s, available: %s", c.what, c.requested, c.available))
			}
		}
	}
	return nil
}

// verifyHostResources checks the HostConfig settings around the cgroup
// ones that dockerd checks at create.
func verifyHostResources(hc *containertypes.HostConfig) error {
	invalid := func(msg string) error { return errdefs.ErrInvalidArgument.WithMessage(msg) }
	switch {
	case hc.ShmSize < 0:
		return invalid("SHM size can not be less than 0")
	case hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000:
		return invalid(fmt.Sprintf("Invalid value %d, range for oom score adj is [-1000, 1000]", hc.OomScoreAdj))
	}
	for _, u := range hc.Ulimits {
		if u.Soft > u.Hard && u.Hard >= 0 {
			return invalid(fmt.Sprintf("ulimit soft limit must be less than or equal to hard limit: %d > %d", u.Soft, u.Hard))
		}
		if !knownUlimit(u.Name) {
			return invalid(fmt.Sprintf("invalid ulimit type: %s", u.Name))
		}
	}
	return nil
}

func knownUlimit(name string) bool {
	switch strings.ToLower(name) {
	case "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
		"nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack":
		return true
	}
	return false
}

// verifyCreateResources checks a create request's resources and applies
// dockerd's defaults; it returns the warnings for the create response.
func verifyCreateResources(hc *containertypes.HostConfig) ([]string, error) {
	if err := verifyHostResources(hc); err != nil {
		return nil, err
	}
	warnings, err := verifyResources(&hc.Resources, false)
	if err != nil {
		return nil, err
	}
	adaptResources(&hc.Resources)
	if warnings == nil {
		warnings = []string{}
	}
	return warnings, nil
}

// containerCgroupPath is the container's cgroup (cgroupfs driver):
// <parent>/<id> with --cgroup-parent, else /berth/<id>. A relative parent
// is taken from the hierarchy's root (dockerd takes it from its own
// cgroup), so that berthd finds the cgroup again wherever it runs.
func containerCgroupPath(c *container.Container) string {
	if p := c.HostConfig.CgroupParent; p != "" {
		return filepath.Join("/", p, c.ID)
	}
	return cgroupPath(c.ID)
}
