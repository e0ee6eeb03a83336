package cgroups

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Cpuset returns the CPUs and memory nodes containers may use: the root
// cpuset's on v1, the effective ones of the root on v2 ("0-1", "0").
func Cpuset(root string) (cpus, mems string, err error) {
	dir, suffix := filepath.Join(root, "cpuset"), ""
	if Unified(root) {
		dir, suffix = root, ".effective"
	}
	if cpus, err = readFile(dir, "cpuset.cpus"+suffix); err != nil {
		return "", "", err
	}
	mems, err = readFile(dir, "cpuset.mems"+suffix)
	return strings.TrimSpace(cpus), strings.TrimSpace(mems), err
}

// ParseList parses a cpuset list such as "0-2,4" into its members.
func ParseList(s string) (map[int]bool, error) {
	set := map[int]bool{}
	if s == "" {
		return set, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("invalid format: %s", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("invalid format: %s", s)
			}
		}
		for i := a; i <= b; i++ {
			set[i] = true
		}
	}
	return set, nil
}
