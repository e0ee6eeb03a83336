package cli

import (
	"bytes"
	"testing"

	"github.com/moby/moby/api/types/container"
)

// A sample as berthd and dockerd send it on cgroup v1; the figures are
// what docker stats prints for it.
func TestStatsEntryFigures(t *testing.T) {
	s := &container.StatsResponse{
		Name: "/web", ID: "0123456789abcdef0123",
		CPUStats: container.CPUStats{
			CPUUsage: container.CPUUsage{TotalUsage: 1_500_000_000}, SystemUsage: 10_000_000_000, OnlineCPUs: 2,
		},
		PreCPUStats: container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1_000_000_000}, SystemUsage: 8_000_000_000},
		MemoryStats: container.MemoryStats{Usage: 20 << 20, Limit: 64 << 20, Stats: map[string]uint64{"total_inactive_file": 4 << 20}},
		Networks:    map[string]container.NetworkStats{"eth0": {RxBytes: 1500, TxBytes: 500}},
		BlkioStats: container.BlkioStats{IoServiceBytesRecursive: []container.BlkioStatEntry{
			{Op: "Read", Value: 4096}, {Op: "Write", Value: 1 << 20}, {Op: "Total", Value: 1<<20 + 4096},
		}},
		PidsStats: container.PidsStats{Current: 3},
	}
	var out bytes.Buffer
	if err := writeStats(&out, statsTableFormat, []statsEntry{newStatsEntry("web", s)}, true); err != nil {
		t.Fatal(err)
	}
	want := "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O        BLOCK I/O        PIDS\n" +
		"0123456789ab   web       50.00%    16MiB / 64MiB       25.00%    1.5kB / 500B   4.1kB / 1.05MB   3\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	// v2 names the page cache inactive_file; no sample yet shows dashes.
	s.MemoryStats.Stats = map[string]uint64{"inactive_file": 16 << 20}
	if e := newStatsEntry("web", s); e.memory != 4<<20 {
		t.Errorf("v2 memory %v", e.memory)
	}
	out.Reset()
	_ = writeStats(&out, "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}", []statsEntry{{container: "x", invalid: true}}, true)
	if out.String() != "-- -- -- / -- --\n" {
		t.Errorf("no sample: %q", out.String())
	}
}
