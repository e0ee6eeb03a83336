package cgroups

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
)

// nsPerTick converts cpuacct.stat's USER_HZ ticks to nanoseconds; USER_HZ
// is 100 on every Linux architecture, as the kernel's ABI fixes it.
const nsPerTick = 1e9 / 100

// memoryStatKeysV1 are the memory.stat keys Docker reports on cgroup v1.
var memoryStatKeysV1 = []string{
	"cache", "rss", "rss_huge", "mapped_file", "dirty", "writeback", "pgpgin", "pgpgout", "pgfault", "pgmajfault",
	"inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable",
	"hierarchical_memory_limit", "hierarchical_memsw_limit",
	"total_cache", "total_rss", "total_rss_huge", "total_mapped_file", "total_dirty", "total_writeback",
	"total_pgpgin", "total_pgpgout", "total_pgfault", "total_pgmajfault", "total_inactive_anon", "total_active_anon",
	"total_inactive_file", "total_active_file", "total_unevictable",
}

func (c *Cgroup) statsV1(s *container.StatsResponse) error {
	for _, f := range []func(*container.StatsResponse) error{c.cpuV1, c.memoryV1, c.pidsV1, c.blkioV1} {
		if err := f(s); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cgroup) cpuV1(s *container.StatsResponse) error {
	u := &s.CPUStats.CPUUsage
	if dir, ok := c.dirs["cpuacct"]; ok {
		var err error
		if u.TotalUsage, _, err = readUint(dir, "cpuacct.usage"); err != nil {
			return err
		}
		if u.PercpuUsage, err = readUints(dir, "cpuacct.usage_percpu"); err != nil {
			return err
		}
		ticks, err := readKeyValues(dir, "cpuacct.stat")
		if err != nil {
			return err
		}
		u.UsageInUsermode, u.UsageInKernelmode = ticks["user"]*nsPerTick, ticks["system"]*nsPerTick
	}
	if dir, ok := c.dirs["cpu"]; ok {
		st, err := readKeyValues(dir, "cpu.stat")
		if err != nil {
			return err
		}
		s.CPUStats.ThrottlingData = container.ThrottlingData{
			Periods: st["nr_periods"], ThrottledPeriods: st["nr_throttled"], ThrottledTime: st["throttled_time"],
		}
	}
	return nil
}

func (c *Cgroup) memoryV1(s *container.StatsResponse) error {
	dir, ok := c.dirs["memory"]
	if !ok {
		return nil
	}
	m := &s.MemoryStats
	for _, f := range []struct {
		name string
		dst  *uint64
	}{
		{"memory.usage_in_bytes", &m.Usage}, {"memory.max_usage_in_bytes", &m.MaxUsage},
		{"memory.failcnt", &m.Failcnt}, {"memory.limit_in_bytes", &m.Limit},
	} {
		var err error
		if *f.dst, _, err = readUint(dir, f.name); err != nil {
			return err
		}
	}
	raw, err := readKeyValues(dir, "memory.stat")
	if err != nil {
		return err
	}
	m.Stats = pick(raw, memoryStatKeysV1)
	return nil
}

func (c *Cgroup) pidsV1(s *container.StatsResponse) error {
	if dir, ok := c.dirs["pids"]; ok {
		return readPids(dir, s)
	}
	return nil
}

// blkioV1 reads the CFQ counters where the kernel has them, else the
// throttling layer's, which count every device's I/O whatever its scheduler.
func (c *Cgroup) blkioV1(s *container.StatsResponse) error {
	dir, ok := c.dirs["blkio"]
	if !ok {
		return nil
	}
	prefix := "blkio.throttle."
	if _, err := os.Stat(filepath.Join(dir, "blkio.io_service_bytes_recursive")); err == nil {
		prefix = "blkio."
	}
	var err error
	b := &s.BlkioStats
	if b.IoServiceBytesRecursive, err = readBlkio(dir, prefix+"io_service_bytes_recursive"); err != nil {
		return err
	}
	b.IoServicedRecursive, err = readBlkio(dir, prefix+"io_serviced_recursive")
	return err
}

// readPids fills pids_stats from pids.current and pids.max (v1 and v2 alike);
// "max" is no limit, which Docker reports as 0.
func readPids(dir string, s *container.StatsResponse) error {
	cur, _, err := readUint(dir, "pids.current")
	if err != nil {
		return err
	}
	limit, _, err := readUint(dir, "pids.max")
	if err != nil {
		return err
	}
	if limit == maxUint {
		limit = 0
	}
	s.PidsStats = container.PidsStats{Current: cur, Limit: limit}
	return nil
}

// readBlkio parses "major:minor Op value" lines; the closing "Total n"
// line is left out, as Docker does.
func readBlkio(dir, name string) ([]container.BlkioStatEntry, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []container.BlkioStatEntry
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		major, minor, ok := deviceNumbers(f[0])
		v, err := strconv.ParseUint(f[2], 10, 64)
		if !ok || err != nil {
			continue
		}
		out = append(out, container.BlkioStatEntry{Major: major, Minor: minor, Op: f[1], Value: v})
	}
	return out, nil
}

func deviceNumbers(s string) (uint64, uint64, bool) {
	a, b, ok := strings.Cut(s, ":")
	major, err1 := strconv.ParseUint(a, 10, 64)
	minor, err2 := strconv.ParseUint(b, 10, 64)
	return major, minor, ok && err1 == nil && err2 == nil
}

// readUints reads a file of space-separated numbers (cpuacct.usage_percpu).
func readUints(dir, name string) ([]uint64, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, f := range strings.Fields(string(b)) {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// pick keeps the listed keys, 0 where the kernel has none, as Docker's
// fixed set of fields does.
func pick(raw map[string]uint64, keys []string) map[string]uint64 {
	if raw == nil {
		return nil
	}
	m := make(map[string]uint64, len(keys))
	for _, k := range keys {
		m[k] = raw[k]
	}
	return m
}
