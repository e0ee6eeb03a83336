package cgroups

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
)

// The testdata trees: v1 is recorded from a berth container on this
// project's cgroup v1 VM (blkio counters and an OOM kill added by hand);
// v2 is written by hand in the formats of the kernel's cgroup-v2
// documentation (Documentation/admin-guide/cgroup-v2.rst).

func load(t *testing.T, version string, unified bool) *Cgroup {
	t.Helper()
	root := filepath.Join("testdata", version)
	b, err := os.ReadFile(filepath.Join(root, "proc-cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(root, unified, b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStatsV1(t *testing.T) {
	c := load(t, "v1", false)
	if got, want := c.Dir("memory"), filepath.Join("testdata", "v1", "memory", "berth", "c"); got != want {
		t.Errorf("memory dir %q, want %q", got, want)
	}
	var s container.StatsResponse
	if err := c.Stats(&s); err != nil {
		t.Fatal(err)
	}
	wantCPU := container.CPUStats{
		CPUUsage: container.CPUUsage{
			TotalUsage: 349004475, PercpuUsage: []uint64{85048735, 263955740},
			UsageInUsermode: 300_000_000, UsageInKernelmode: 40_000_000,
		},
	}
	if !reflect.DeepEqual(s.CPUStats, wantCPU) {
		t.Errorf("cpu %+v, want %+v", s.CPUStats, wantCPU)
	}
	m := s.MemoryStats
	if m.Usage != 344064 || m.MaxUsage != 3821568 || m.Limit != 9223372036854771712 || m.Failcnt != 0 {
		t.Errorf("memory %+v", m)
	}
	if len(m.Stats) != len(memoryStatKeysV1) || m.Stats["total_inactive_file"] != 0 || m.Stats["rss"] != 49152 || m.Stats["total_active_file"] != 4096 {
		t.Errorf("memory.stat %v", m.Stats)
	}
	if _, ok := m.Stats["swap"]; ok {
		t.Error("memory.stat: keys beyond Docker's are reported")
	}
	if s.PidsStats != (container.PidsStats{Current: 1, Limit: 0}) {
		t.Errorf("pids %+v", s.PidsStats)
	}
	bytes := s.BlkioStats.IoServiceBytesRecursive
	if len(bytes) != 12 || bytes[0] != (container.BlkioStatEntry{Major: 8, Minor: 0, Op: "Read", Value: 1048576}) ||
		bytes[7] != (container.BlkioStatEntry{Major: 253, Minor: 1, Op: "Write", Value: 0}) {
		t.Errorf("io_service_bytes_recursive %+v", bytes)
	}
	if ops := s.BlkioStats.IoServicedRecursive; len(ops) != 12 || ops[1].Value != 2 {
		t.Errorf("io_serviced_recursive %+v", ops)
	}
}

func TestStatsV2(t *testing.T) {
	c := load(t, "v2", true)
	var s container.StatsResponse
	if err := c.Stats(&s); err != nil {
		t.Fatal(err)
	}
	wantCPU := container.CPUStats{
		CPUUsage:       container.CPUUsage{TotalUsage: 2_500_000_000, UsageInUsermode: 2_000_000_000, UsageInKernelmode: 500_000_000},
		ThrottlingData: container.ThrottlingData{Periods: 40, ThrottledPeriods: 3, ThrottledTime: 125_000_000},
	}
	if !reflect.DeepEqual(s.CPUStats, wantCPU) {
		t.Errorf("cpu %+v, want %+v", s.CPUStats, wantCPU)
	}
	m := s.MemoryStats
	if m.Usage != 52428800 || m.Limit != 134217728 || m.Failcnt != 2 || m.MaxUsage != 0 {
		t.Errorf("memory %+v", m)
	}
	if len(m.Stats) != len(memoryStatKeysV2) || m.Stats["inactive_file"] != 16777216 || m.Stats["anon"] != 31457280 || m.Stats["pgmajfault"] != 7 {
		t.Errorf("memory.stat %v", m.Stats)
	}
	if s.PidsStats != (container.PidsStats{Current: 3, Limit: 100}) {
		t.Errorf("pids %+v", s.PidsStats)
	}
	want := []container.BlkioStatEntry{
		{Major: 8, Minor: 0, Op: "read", Value: 1459200}, {Major: 8, Minor: 0, Op: "write", Value: 314773504},
		{Major: 253, Minor: 0, Op: "read", Value: 4096}, {Major: 253, Minor: 0, Op: "write", Value: 0},
	}
	if !reflect.DeepEqual(s.BlkioStats.IoServiceBytesRecursive, want) || s.BlkioStats.IoServicedRecursive != nil {
		t.Errorf("blkio %+v", s.BlkioStats)
	}
}

// A v2 cgroup without the memory, pids and io controllers enabled has only
// cpu.stat: the other figures stay zero rather than failing the sample.
func TestStatsV2ControllersMissing(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "berth", "c")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cpu.stat"), []byte("usage_usec 10\nuser_usec 6\nsystem_usec 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Parse(root, true, []byte("0::/berth/c\n"))
	if err != nil {
		t.Fatal(err)
	}
	var s container.StatsResponse
	if err := c.Stats(&s); err != nil {
		t.Fatal(err)
	}
	if s.CPUStats.CPUUsage.TotalUsage != 10_000 || s.MemoryStats.Usage != 0 || s.PidsStats.Current != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestOOMKills(t *testing.T) {
	for _, tc := range []struct {
		version string
		unified bool
	}{{"v1", false}, {"v2", true}} {
		n, ok := oomKills(filepath.Join("testdata", tc.version), tc.unified, "/berth/c")
		if !ok || n != 1 {
			t.Errorf("%s: oom kills %d, %v", tc.version, n, ok)
		}
	}
	if _, ok := oomKills("testdata/v1", false, "/berth/gone"); ok {
		t.Error("a removed cgroup reads as counted")
	}
}

func TestParseErrors(t *testing.T) {
	if _, err := Parse("/x", true, []byte("4:memory:/a\n")); err == nil {
		t.Error("v2 without a 0:: line parsed")
	}
	if _, err := Parse("/x", false, []byte("garbage")); err == nil {
		t.Error("garbage parsed")
	}
}

func TestParseProcStat(t *testing.T) {
	in := "cpu  100 2 30 400 5 0 6 7 0 0\ncpu0 50 1 15 200 2 0 3 3 0 0\ncpu1 50 1 15 200 3 0 3 4 0 0\nintr 1 2\n"
	usage, online, err := parseProcStat(bufio.NewScanner(strings.NewReader(in)))
	if err != nil || usage != (100+2+30+400+5+0+6)*10_000_000 || online != 2 {
		t.Errorf("usage %d online %d err %v", usage, online, err)
	}
}

func TestParseList(t *testing.T) {
	set, err := ParseList("0-2,4")
	if err != nil || len(set) != 4 || !set[4] || set[3] {
		t.Errorf("0-2,4: %v %v", set, err)
	}
	for _, bad := range []string{"a", "2-1", "1-", "-1"} {
		if _, err := ParseList(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
