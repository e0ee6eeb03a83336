// Package cgroups reads what the kernel accounts for a container's cgroup:
// the usage figures of `docker stats` and the OOM-kill counter, on cgroup v1
// (one hierarchy per controller, as on this project's VM) and cgroup v2 (one
// unified hierarchy, as on most hosts). It only reads; the OCI runtime
// creates, updates and removes the cgroups.
//
// The files read, and why not github.com/containerd/cgroups: stats need a
// dozen small kernel files (cpuacct.*, cpu.stat, memory.*, pids.*, blkio.* or
// io.stat) in a fixed key/value format; reading them here costs a handful of
// syscalls per sample and keeps berthd free of that library's dependency tree
// (eBPF, D-Bus, systemd, protobuf), none of which a reader needs.
package cgroups

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Root is where the cgroup filesystems are mounted.
const Root = "/sys/fs/cgroup"

// Unified reports whether root is a cgroup v2 (unified) mount. A hybrid
// host, with v1 controllers and an empty v2 tree at root/unified, is v1.
func Unified(root string) bool {
	var st unix.Statfs_t
	return unix.Statfs(root, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// Cgroup is one process's cgroup: a directory per v1 controller, or the
// one v2 directory.
type Cgroup struct {
	unified bool
	dir     string            // v2
	dirs    map[string]string // v1: controller name -> directory
}

// ForPid finds the cgroup of a running process from /proc/<pid>/cgroup,
// read from the host's cgroup namespace so that the paths are absolute.
func ForPid(pid int) (*Cgroup, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return nil, err
	}
	return Parse(Root, Unified(Root), b)
}

// Parse reads the content of a /proc/<pid>/cgroup file
// ("hierarchy-ID:controller-list:path" lines) against the mounts under root.
func Parse(root string, unified bool, procCgroup []byte) (*Cgroup, error) {
	c := &Cgroup{unified: unified, dirs: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(procCgroup))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if unified {
			if parts[0] == "0" && parts[1] == "" {
				c.dir = filepath.Join(root, parts[2])
			}
			continue
		}
		for _, ctrl := range strings.Split(parts[1], ",") {
			if ctrl != "" {
				c.dirs[ctrl] = controllerDir(root, ctrl, parts[1], parts[2])
			}
		}
	}
	if unified && c.dir == "" || !unified && len(c.dirs) == 0 {
		return nil, fmt.Errorf("no cgroup found in %q", procCgroup)
	}
	return c, nil
}

// controllerDir is where a v1 controller's hierarchy holds path: its own
// mount (root/memory), or the co-mounted one (root/cpu,cpuacct) on hosts
// without the per-controller symlinks.
func controllerDir(root, ctrl, list, path string) string {
	dir := filepath.Join(root, ctrl)
	if _, err := os.Stat(dir); err != nil {
		dir = filepath.Join(root, list)
	}
	return filepath.Join(dir, path)
}

// Dir returns the directory of a v1 controller ("memory", "cpu"...), or of
// the v2 cgroup whatever the name.
func (c *Cgroup) Dir(controller string) string {
	if c.unified {
		return c.dir
	}
	return c.dirs[controller]
}
