package cgroups

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/moby/api/types/container"
)

// TestStatsOfThisProcess reads the test's own cgroup from the kernel.
func TestStatsOfThisProcess(t *testing.T) {
	c, err := ForPid(os.Getpid())
	if err != nil {
		t.Skipf("no cgroup here: %v", err)
	}
	var s container.StatsResponse
	if err := c.Stats(&s); err != nil {
		t.Fatal(err)
	}
	if s.MemoryStats.Usage == 0 || s.MemoryStats.Limit == 0 || len(s.MemoryStats.Stats) == 0 {
		t.Errorf("memory of a running process: %+v", s.MemoryStats)
	}
	if usage, online, err := SystemCPU(); err != nil || usage == 0 || online == 0 {
		t.Errorf("system cpu %d online %d: %v", usage, online, err)
	}
}

// TestStatsV2Kernel reads a real cgroup v2 tree: the unified hierarchy of
// a hybrid host, whose cgroups have no controllers but the kernel's own
// CPU accounting (cpu.stat). Skipped where no such mount exists.
func TestStatsV2Kernel(t *testing.T) {
	root := filepath.Join(Root, "unified")
	if Unified(Root) {
		root = Root
	}
	if !Unified(root) {
		t.Skip("no cgroup v2 hierarchy mounted")
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(root, true, b)
	if err != nil {
		t.Fatal(err)
	}
	var s container.StatsResponse
	if err := c.Stats(&s); err != nil {
		t.Fatal(err)
	}
	if s.CPUStats.CPUUsage.TotalUsage == 0 {
		t.Errorf("cpu.stat of %s read as zero", c.Dir(""))
	}
}

// BenchmarkSample is the kernel-reading part of one stats sample of the
// benchmark's own cgroup: the cgroup files and /proc/stat.
func BenchmarkSample(b *testing.B) {
	c, err := ForPid(os.Getpid())
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		var s container.StatsResponse
		if err := c.Stats(&s); err != nil {
			b.Fatal(err)
		}
		if _, _, err := SystemCPU(); err != nil {
			b.Fatal(err)
		}
	}
}
