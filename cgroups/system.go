package cgroups

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// SystemCPU returns the host's CPU time from /proc/stat (the sum of the
// "cpu" line's first seven fields, in nanoseconds) and the number of online
// CPUs: the denominator of `docker stats`' CPU %.
func SystemCPU() (usage uint64, online uint32, err error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return parseProcStat(bufio.NewScanner(f))
}

func parseProcStat(sc *bufio.Scanner) (usage uint64, online uint32, err error) {
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 4 || !strings.HasPrefix(line, "cpu") {
			break // the cpu lines come first
		}
		if line[3] != ' ' {
			online++
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 8 {
			return 0, 0, fmt.Errorf("/proc/stat: too few cpu fields: %q", line)
		}
		var ticks uint64
		for _, f := range fields[1:8] {
			n, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("/proc/stat: %w", err)
			}
			ticks += n
		}
		usage = ticks * nsPerTick
	}
	return usage, online, sc.Err()
}

// MachineMemory returns MemTotal from /proc/meminfo in bytes: the limit
// Docker reports for a container without a memory limit.
func MachineMemory() (uint64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("/proc/meminfo: no MemTotal")
}
