package spec

import (
	"os"
	"strings"

	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// resources maps HostConfig's cgroup settings; what is not set stays nil so
// that the runtime leaves it alone. MemorySwap = 2*Memory when unset is
// dockerd's create-time default and belongs to the daemon, not here.
func resources(r container.Resources, devices []specs.LinuxDeviceCgroup) (*specs.LinuxResources, error) {
	cpu, err := cpuResources(r)
	if err != nil {
		return nil, err
	}
	blkio, err := blkioResources(r)
	if err != nil {
		return nil, err
	}
	res := &specs.LinuxResources{Devices: devices, Memory: memoryResources(r), CPU: cpu, BlockIO: blkio}
	if r.PidsLimit != nil {
		limit := *r.PidsLimit
		if limit <= 0 {
			limit = -1 // Docker's 0 and negatives mean unlimited, which runc spells -1
		}
		res.Pids = &specs.LinuxPids{Limit: &limit}
	}
	return res, nil
}

func memoryResources(r container.Resources) *specs.LinuxMemory {
	var m specs.LinuxMemory
	if r.Memory > 0 {
		m.Limit = &r.Memory
	}
	if r.MemoryReservation > 0 {
		m.Reservation = &r.MemoryReservation
	}
	if r.MemorySwap > 0 || r.MemorySwap == -1 {
		m.Swap = &r.MemorySwap
	}
	if r.MemorySwappiness != nil && *r.MemorySwappiness >= 0 {
		s := uint64(*r.MemorySwappiness)
		m.Swappiness = &s
	}
	m.DisableOOMKiller = r.OomKillDisable
	if m == (specs.LinuxMemory{}) {
		return nil
	}
	return &m
}

func cpuResources(r container.Resources) (*specs.LinuxCPU, error) {
	var c specs.LinuxCPU
	if r.CPUShares < 0 {
		return nil, invalidf("invalid CPU shares (%d): value must be a positive integer", r.CPUShares)
	}
	if r.CPUShares > 0 {
		shares := uint64(r.CPUShares)
		c.Shares = &shares
	}
	c.Cpus, c.Mems = r.CpusetCpus, r.CpusetMems
	if r.NanoCPUs > 0 {
		period := uint64(100_000) // µs, the kernel's default CFS period
		quota := r.NanoCPUs * int64(period) / 1e9
		c.Period, c.Quota = &period, &quota
	}
	if r.CPUPeriod != 0 {
		period := uint64(r.CPUPeriod)
		c.Period = &period
	}
	if r.CPUQuota != 0 {
		c.Quota = &r.CPUQuota
	}
	if r.CPURealtimePeriod != 0 {
		period := uint64(r.CPURealtimePeriod)
		c.RealtimePeriod = &period
	}
	if r.CPURealtimeRuntime != 0 {
		c.RealtimeRuntime = &r.CPURealtimeRuntime
	}
	if c == (specs.LinuxCPU{}) {
		return nil, nil
	}
	return &c, nil
}

func blkioResources(r container.Resources) (*specs.LinuxBlockIO, error) {
	var b specs.LinuxBlockIO
	if r.BlkioWeight != 0 {
		b.Weight = &r.BlkioWeight
	}
	for _, wd := range r.BlkioWeightDevice {
		major, minor, err := deviceNumbers(wd.Path)
		if err != nil {
			return nil, err
		}
		w := wd.Weight
		var d specs.LinuxWeightDevice
		d.Major, d.Minor, d.Weight = major, minor, &w
		b.WeightDevice = append(b.WeightDevice, d)
	}
	var err error
	lists := []struct {
		in  []*blkiodev.ThrottleDevice
		out *[]specs.LinuxThrottleDevice
	}{
		{r.BlkioDeviceReadBps, &b.ThrottleReadBpsDevice},
		{r.BlkioDeviceWriteBps, &b.ThrottleWriteBpsDevice},
		{r.BlkioDeviceReadIOps, &b.ThrottleReadIOPSDevice},
		{r.BlkioDeviceWriteIOps, &b.ThrottleWriteIOPSDevice},
	}
	for _, l := range lists {
		if *l.out, err = throttleDevices(l.in); err != nil {
			return nil, err
		}
	}
	if b.Weight == nil && b.WeightDevice == nil && b.ThrottleReadBpsDevice == nil && b.ThrottleWriteBpsDevice == nil &&
		b.ThrottleReadIOPSDevice == nil && b.ThrottleWriteIOPSDevice == nil {
		return nil, nil
	}
	return &b, nil
}

func throttleDevices(in []*blkiodev.ThrottleDevice) ([]specs.LinuxThrottleDevice, error) {
	var out []specs.LinuxThrottleDevice
	for _, td := range in {
		major, minor, err := deviceNumbers(td.Path)
		if err != nil {
			return nil, err
		}
		var d specs.LinuxThrottleDevice
		d.Major, d.Minor, d.Rate = major, minor, td.Rate
		out = append(out, d)
	}
	return out, nil
}

// deviceNumbers returns the major and minor numbers of the host device at path.
func deviceNumbers(path string) (int64, int64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, 0, invalidf("%v", &os.PathError{Op: "stat", Path: path, Err: err})
	}
	return int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev)), nil
}

// rlimits maps HostConfig.Ulimits ("nofile" -> RLIMIT_NOFILE). With none
// set the container inherits the runtime's limits, as under dockerd; a fixed
// default such as RLIMIT_NOFILE=1048576 would need CAP_SYS_RESOURCE to raise
// the hard limit wherever it is lower (on this project's VM it is 20000).
func rlimits(ulimits []*container.Ulimit) []specs.POSIXRlimit {
	var out []specs.POSIXRlimit
	for _, u := range ulimits {
		out = append(out, specs.POSIXRlimit{
			Type: "RLIMIT_" + strings.ToUpper(u.Name),
			Soft: uint64(u.Soft),
			Hard: uint64(u.Hard),
		})
	}
	return out
}

// UpdateResources is what `runc update` applies to a running container
// for r: the cgroup settings resources maps, without device rules (a
// running container keeps its devices). Unset fields stay as they are.
func UpdateResources(r container.Resources) (*specs.LinuxResources, error) {
	return resources(r, nil)
}
