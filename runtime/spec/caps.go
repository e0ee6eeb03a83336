package spec

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/container"
)

// capNames are the Linux capabilities, indexed by number.
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// defaultCaps are the capabilities Docker gives a container.
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// availableCaps returns the capabilities this process holds (CapEff), in
// number order: what "all capabilities" means here, as in Docker. On this
// project's VM that excludes CAP_SYS_RESOURCE. They do not change while
// berthd runs: read once, not at every create and start; each caller gets
// its own copy.
func availableCaps() ([]string, error) {
	caps, err := readCapsOnce()
	return slices.Clone(caps), err
}

var readCapsOnce = sync.OnceValues(readAvailableCaps)

func readAvailableCaps() ([]string, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(string(status)) {
		hex, ok := strings.CutPrefix(line, "CapEff:")
		if !ok {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("parse CapEff %q: %w", hex, err)
		}
		var caps []string
		for i, name := range capNames {
			if mask&(1<<i) != 0 {
				caps = append(caps, name)
			}
		}
		return caps, nil
	}
	return nil, fmt.Errorf("no CapEff in /proc/self/status")
}

// capabilities returns the container's capability set: Docker's defaults
// with CapAdd and CapDrop applied ("ALL" in CapAdd grants all available
// capabilities but the dropped ones; "ALL" in CapDrop keeps only CapAdd), or
// all available ones when privileged.
func capabilities(hc *container.HostConfig, available []string) ([]string, error) {
	if hc.Privileged {
		return slices.Clone(available), nil
	}
	add, err := normalizeCaps(hc.CapAdd, available)
	if err != nil {
		return nil, err
	}
	drop, err := normalizeCaps(hc.CapDrop, available)
	if err != nil {
		return nil, err
	}
	if slices.Contains(add, "ALL") {
		return without(available, drop), nil
	}
	var caps []string
	if !slices.Contains(drop, "ALL") {
		caps = without(defaultCaps, drop)
	}
	for _, c := range add {
		if !slices.Contains(caps, c) {
			caps = append(caps, c)
		}
	}
	return caps, nil
}

// normalizeCaps upper-cases names and adds the CAP_ prefix, keeping "ALL";
// names that are unknown or not available here are errors, as in Docker.
func normalizeCaps(names, available []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		c := strings.ToUpper(n)
		if c == "ALL" {
			out = append(out, c)
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		if !slices.Contains(capNames, c) {
			return nil, invalidf("unknown capability: %q", c)
		}
		if !slices.Contains(available, c) {
			return nil, invalidf("capability not supported by your kernel or not available in the current environment: %q", c)
		}
		out = append(out, c)
	}
	return out, nil
}

func without(list, drop []string) []string {
	var out []string
	for _, c := range list {
		if !slices.Contains(drop, c) {
			out = append(out, c)
		}
	}
	return out
}

// CheckHostConfig refuses, as dockerd does at create, capability names
// and security options that a start would refuse anyway, so that no
// container is created with them.
func CheckHostConfig(hc *container.HostConfig) error {
	if len(hc.CapAdd) == 0 && len(hc.CapDrop) == 0 {
		_, err := parseSecurityOpts(hc.SecurityOpt)
		return err
	}
	available, err := availableCaps()
	if err != nil {
		return err
	}
	if _, err := normalizeCaps(hc.CapAdd, available); err != nil {
		return invalidf("invalid CapAdd: %s", err)
	}
	if _, err := normalizeCaps(hc.CapDrop, available); err != nil {
		return invalidf("invalid CapDrop: %s", err)
	}
	_, err = parseSecurityOpts(hc.SecurityOpt)
	return err
}
