package cgroups

import "path/filepath"

// OOMKilled reports whether the kernel's OOM killer killed a process of
// the cgroup at path (relative to the hierarchy, e.g. "/berth/<id>"). It
// must be asked before the runtime removes the cgroup.
func OOMKilled(path string) bool {
	n, ok := oomKills(Root, Unified(Root), path)
	return ok && n > 0
}

// oomKills reads the "oom_kill" counter: of memory.oom_control on v1, of
// memory.events on v2; ok is false when it cannot be read.
func oomKills(root string, unified bool, path string) (n uint64, ok bool) {
	dir, file := filepath.Join(root, "memory", path), "memory.oom_control"
	if unified {
		dir, file = filepath.Join(root, path), "memory.events"
	}
	kv, err := readKeyValues(dir, file)
	n, ok = kv["oom_kill"]
	return n, err == nil && ok
}
