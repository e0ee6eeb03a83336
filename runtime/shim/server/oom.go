package server

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// oomCounter tells whether the kernel's OOM killer killed a process of the
// container: it reads the oom_kill count of the container's memory cgroup
// (memory.oom_control with cgroup v1, memory.events with v2) before the
// runtime deletes the cgroup, and compares it with a base.
type oomCounter struct {
	file string
	base int
}

// newOOMCounter finds the container's memory cgroup: from cgroupPath (the
// bundle's cgroupfs path), whose cgroup the runtime made for this run, so
// every kill counts; else from the init's pid, counting from now. The
// first is exact even for a process killed before the shim looked: the
// init already runs when the runtime returns. Nil: no memory cgroup.
func newOOMCounter(cgroupPath string, pid int) *oomCounter {
	if cgroupPath != "" && filepath.IsAbs(cgroupPath) {
		v1 := filepath.Join("/sys/fs/cgroup/memory", cgroupPath, "memory.oom_control")
		if _, err := os.Stat(v1); err == nil {
			return &oomCounter{file: v1}
		}
		v2 := filepath.Join("/sys/fs/cgroup", cgroupPath, "memory.events")
		if _, err := os.Stat(v2); err == nil {
			return &oomCounter{file: v2}
		}
	}
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var v2 string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-ID:controllers:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if hasController(parts[1], "memory") {
			return newCounter(filepath.Join("/sys/fs/cgroup/memory", parts[2], "memory.oom_control"))
		}
		if parts[0] == "0" {
			v2 = parts[2]
		}
	}
	if v2 != "" {
		return newCounter(filepath.Join("/sys/fs/cgroup", v2, "memory.events"))
	}
	return nil
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

func newCounter(file string) *oomCounter {
	n, ok := readOOMKills(file)
	if !ok {
		return nil
	}
	return &oomCounter{file: file, base: n}
}

// killed says whether the count grew past the base.
func (o *oomCounter) killed() bool {
	if o == nil {
		return false
	}
	n, ok := readOOMKills(o.file)
	return ok && n > o.base
}

func readOOMKills(file string) (int, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			return n, err == nil
		}
	}
	return 0, false
}
