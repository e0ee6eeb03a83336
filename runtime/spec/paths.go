package spec

import "path/filepath"

// defaultMaskedPaths are the paths Docker hides from a container (bind-mounts
// /dev/null or an empty read-only tmpfs over them), plus the host's
// per-CPU thermal_throttle directories.
func defaultMaskedPaths() []string {
	paths := []string{
		"/proc/asound",
		"/proc/acpi",
		"/proc/interrupts",
		"/proc/kcore",
		"/proc/keys",
		"/proc/latency_stats",
		"/proc/timer_list",
		"/proc/timer_stats",
		"/proc/sched_debug",
		"/proc/scsi",
		"/sys/firmware",
		"/sys/devices/virtual/powercap",
	}
	throttle, _ := filepath.Glob("/sys/devices/system/cpu/cpu[0-9]*/thermal_throttle")
	return append(paths, throttle...)
}

// defaultReadonlyPaths are the paths Docker makes read-only in a container.
func defaultReadonlyPaths() []string {
	return []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
}
