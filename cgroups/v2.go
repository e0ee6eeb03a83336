package cgroups

import (
	"math"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
)

const maxUint = math.MaxUint64

// memoryStatKeysV2 are the memory.stat keys Docker reports on cgroup v2.
var memoryStatKeysV2 = []string{
	"anon", "file", "kernel_stack", "slab", "sock", "shmem", "file_mapped", "file_dirty", "file_writeback",
	"anon_thp", "inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable",
	"slab_reclaimable", "slab_unreclaimable", "pgfault", "pgmajfault", "workingset_refault",
	"workingset_activate", "workingset_nodereclaim", "pgrefill", "pgscan", "pgsteal", "pgactivate",
	"pgdeactivate", "pglazyfree", "pglazyfreed", "thp_fault_alloc", "thp_collapse_alloc",
}

// statsV2 reads the unified cgroup. Files of controllers not enabled for
// it are missing and leave their figures at zero. As with Docker, v2 has
// no per-CPU usage, no max_usage, and only byte counts for block I/O;
// failcnt is memory.events' "oom" count.
func (c *Cgroup) statsV2(s *container.StatsResponse) error {
	if err := c.cpuV2(s); err != nil {
		return err
	}
	if err := c.memoryV2(s); err != nil {
		return err
	}
	if err := readPids(c.dir, s); err != nil {
		return err
	}
	return c.ioV2(s)
}

func (c *Cgroup) cpuV2(s *container.StatsResponse) error {
	st, err := readKeyValues(c.dir, "cpu.stat")
	if err != nil || st == nil {
		return err
	}
	s.CPUStats.CPUUsage = container.CPUUsage{
		TotalUsage:        st["usage_usec"] * 1000,
		UsageInKernelmode: st["system_usec"] * 1000,
		UsageInUsermode:   st["user_usec"] * 1000,
	}
	s.CPUStats.ThrottlingData = container.ThrottlingData{
		Periods: st["nr_periods"], ThrottledPeriods: st["nr_throttled"], ThrottledTime: st["throttled_usec"] * 1000,
	}
	return nil
}

func (c *Cgroup) memoryV2(s *container.StatsResponse) error {
	usage, ok, err := readUint(c.dir, "memory.current")
	if err != nil || !ok {
		return err
	}
	limit, _, err := readUint(c.dir, "memory.max")
	if err != nil {
		return err
	}
	raw, err := readKeyValues(c.dir, "memory.stat")
	if err != nil {
		return err
	}
	events, err := readKeyValues(c.dir, "memory.events")
	if err != nil {
		return err
	}
	s.MemoryStats = container.MemoryStats{Usage: usage, Limit: limit, Stats: pick(raw, memoryStatKeysV2), Failcnt: events["oom"]}
	return nil
}

// ioV2 parses io.stat: "major:minor rbytes=n wbytes=n rios=n wios=n ..."
// per device, reported as Docker does: a Read and a Write byte count.
func (c *Cgroup) ioV2(s *container.StatsResponse) error {
	b, err := readFile(c.dir, "io.stat")
	if err != nil || b == "" {
		return err
	}
	var entries []container.BlkioStatEntry
	for _, line := range strings.Split(b, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		major, minor, ok := deviceNumbers(f[0])
		if !ok {
			continue
		}
		kv := map[string]uint64{}
		for _, pair := range f[1:] {
			k, v, _ := strings.Cut(pair, "=")
			kv[k], _ = strconv.ParseUint(v, 10, 64)
		}
		entries = append(entries,
			container.BlkioStatEntry{Major: major, Minor: minor, Op: "read", Value: kv["rbytes"]},
			container.BlkioStatEntry{Major: major, Minor: minor, Op: "write", Value: kv["wbytes"]})
	}
	s.BlkioStats.IoServiceBytesRecursive = entries
	return nil
}
