package e2e

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/cgroups"
	"golang.org/x/sys/unix"
)

// cgroupCheck is one cgroup file read from inside a container and the
// value its flags must have put there, for cgroup v1 and v2 hosts.
type cgroupCheck struct {
	v1File, v1Want string
	v2File, v2Want string
}

// readCgroupFiles cats each file (relative to /sys/fs/cgroup in the
// container: its own cgroup, by runc's v1 mounts or a private v2 cgroup
// namespace) and returns "file=content" lines.
func readCgroupFiles(t *testing.T, d *daemon, c, ctr string, files []string) map[string]string {
	t.Helper()
	var script strings.Builder
	for _, f := range files {
		script.WriteString(`printf '%s=' ` + f + `; cat /sys/fs/cgroup/` + f + ` | tr '\n' ' '; echo;`)
	}
	out := must(t, d.cli(c, "exec", ctr, "sh", "-c", script.String()))
	got := map[string]string{}
	for _, l := range lines(out) {
		k, v, _ := strings.Cut(l, "=")
		got[k] = strings.TrimSpace(v)
	}
	return got
}

// checkCgroup compares what readCgroupFiles found with the checks.
func checkCgroup(t *testing.T, d *daemon, c, ctr string, checks []cgroupCheck) {
	t.Helper()
	v2 := cgroups.Unified(cgroups.Root)
	var files []string
	for _, ck := range checks {
		if f := pick(v2, ck.v2File, ck.v1File); f != "" {
			files = append(files, f)
		}
	}
	got := readCgroupFiles(t, d, c, ctr, files)
	for _, ck := range checks {
		f, want := pick(v2, ck.v2File, ck.v1File), pick(v2, ck.v2Want, ck.v1Want)
		if f != "" && got[f] != want {
			t.Errorf("%s: %s = %q, want %q", c, f, got[f], want)
		}
	}
}

func pick(v2 bool, a, b string) string {
	if v2 {
		return a
	}
	return b
}

// TestResourceFlagsReachTheKernel runs a container with every resource
// flag and reads back what the kernel holds, through both CLIs.
func TestResourceFlagsReachTheKernel(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	disk, numbers := dataDisk(t, d.DataRoot)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			name := "res-" + c
			must(t, d.cli(c, "run", "-d", "--name", name,
				"--memory", "64m", "--memory-reservation", "32m", "--oom-kill-disable",
				"--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0", "--cpuset-mems", "0",
				"--pids-limit", "50", "--blkio-weight", "300",
				"--device-read-bps", disk+":10mb", "--device-write-bps", disk+":20mb",
				"--device-read-iops", disk+":1000", "--device-write-iops", disk+":2000",
				"--ulimit", "nofile=1024:2048", "--shm-size", "32m", "--sysctl", "net.ipv4.tcp_syncookies=0",
				img, "sleep", "1000"))
			defer d.cli(c, "rm", "-f", name)
			checkCgroup(t, d, c, name, []cgroupCheck{
				{"memory/memory.limit_in_bytes", "67108864", "memory.max", "67108864"},
				// Docker's default swap: as much again as the memory limit
				{"memory/memory.memsw.limit_in_bytes", "134217728", "memory.swap.max", "67108864"},
				{"memory/memory.soft_limit_in_bytes", "33554432", "memory.low", "33554432"},
				{"memory/memory.oom_control", "oom_kill_disable 1 under_oom 0 oom_kill 0", "", ""},
				{"cpu/cpu.cfs_quota_us", "50000", "cpu.max", "50000 100000"},
				{"cpu/cpu.cfs_period_us", "100000", "", ""},
				{"cpu/cpu.shares", "512", "cpu.weight", "20"},
				{"cpuset/cpuset.cpus", "0", "cpuset.cpus", "0"},
				{"cpuset/cpuset.mems", "0", "cpuset.mems", "0"},
				{"pids/pids.max", "50", "pids.max", "50"},
				{"blkio/blkio.bfq.weight", "300", "io.bfq.weight", "default 300"},
				{"blkio/blkio.throttle.read_bps_device", numbers + " 10485760", "io.max", numbers + " rbps=10485760 wbps=20971520 riops=1000 wiops=2000"},
				{"blkio/blkio.throttle.write_bps_device", numbers + " 20971520", "", ""},
				{"blkio/blkio.throttle.read_iops_device", numbers + " 1000", "", ""},
				{"blkio/blkio.throttle.write_iops_device", numbers + " 2000", "", ""},
			})
			// The init's limits: an exec'd process may have its soft limit
			// raised by runc 1.1's Go runtime (built with Go < 1.21).
			out := must(t, d.cli(c, "exec", name, "sh", "-c", "grep 'open files' /proc/1/limits; df -k /dev/shm | tail -1; cat /proc/sys/net/ipv4/tcp_syncookies"))
			f := strings.Fields(out)
			if len(f) < 10 || f[3] != "1024" || f[4] != "2048" || f[7] != "32768" || f[len(f)-1] != "0" {
				t.Errorf("%s: ulimits, shm size, sysctl: %q", c, out)
			}
			if got := inspectField(t, d, c, name, "{{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}"); got != "134217728 500000000 50" {
				t.Errorf("%s: inspect: %q", c, got)
			}
		})
	}
}

// TestCPUPeriodQuotaAndCgroupParent covers the flags the test above does
// not: an explicit CFS period and quota, --cgroup-parent and --cgroupns.
func TestCPUPeriodQuotaAndCgroupParent(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	parent := "berth-e2e-parent-" + strconv.Itoa(os.Getpid())
	name := "cgp"
	must(t, d.docker("run", "-d", "--name", name, "--cpu-period", "50000", "--cpu-quota", "25000",
		"--cgroup-parent", parent, "--cgroupns", "private", img, "sleep", "1000"))
	id := inspectField(t, d, "docker", name, "{{.Id}}")
	checkCgroup(t, d, "docker", name, []cgroupCheck{
		{"cpu/cpu.cfs_quota_us", "25000", "cpu.max", "25000 50000"},
		{"cpu/cpu.cfs_period_us", "50000", "", ""},
	})
	dir := "/sys/fs/cgroup/memory/" + parent + "/" + id
	if cgroups.Unified(cgroups.Root) {
		dir = "/sys/fs/cgroup/" + parent + "/" + id
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("--cgroup-parent: %v", err)
	}
	// A private cgroup namespace shows the container's cgroup as the root.
	if out := must(t, d.docker("exec", name, "cat", "/proc/self/cgroup")); strings.Contains(out, id) {
		t.Errorf("--cgroupns private shows host paths: %q", out)
	}
	must(t, d.docker("run", "--rm", "--cgroupns", "host", img, "true"))
	if out := must(t, d.docker("run", "--rm", "--cgroupns", "host", img, "cat", "/proc/self/cgroup")); !strings.Contains(out, "/berth/") {
		t.Errorf("--cgroupns host hides host paths: %q", out)
	}
	must(t, d.docker("rm", "-f", name))
	for _, ctrl := range []string{"memory", "cpu", "pids", "cpuset", "blkio", "devices", "freezer", "cpuacct", "systemd", "unified", ""} {
		_ = os.Remove("/sys/fs/cgroup/" + ctrl + "/" + parent)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("cgroup %s left after rm", dir)
	}
}

// TestResourceValidation: Docker's errors for bad values, and nothing is
// created.
func TestResourceValidation(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	ncpu := strconv.Itoa(runtime.NumCPU())
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--memory", "4m"}, "Minimum memory limit allowed is 6MB"},
		{[]string{"--memory", "64m", "--memory-swap", "32m"}, "Minimum memoryswap limit should be larger than memory limit, see usage"},
		{[]string{"--memory-swap", "64m"}, "You should always set the Memory limit when using Memoryswap limit, see usage"},
		{[]string{"--memory", "32m", "--memory-reservation", "64m"}, "Minimum memory limit can not be less than memory reservation limit, see usage"},
		{[]string{"--cpus", "0.5", "--cpu-period", "100000"}, "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
		{[]string{"--cpus", "0.5", "--cpu-quota", "50000"}, "Conflicting options: Nano CPUs and CPU Quota cannot both be set"},
		{[]string{"--cpus", "99"}, "Range of CPUs is from 0.01 to " + ncpu + ".00, as there are only " + ncpu + " CPUs available"},
		{[]string{"--cpu-period", "10"}, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
		{[]string{"--cpuset-cpus", "64"}, "Requested CPUs are not available - requested 64, available: "},
		{[]string{"--cpuset-mems", "9"}, "Requested memory nodes are not available - requested 9, available: "},
		{[]string{"--blkio-weight", "5"}, "Range of blkio weight is from 10 to 1000"},
		{[]string{"--gpus", "all"}, "--gpus (device requests) is not supported by Berth yet"},
	}
	for _, c := range clients {
		for _, tc := range cases {
			args := append(append([]string{"run", "--rm"}, tc.args...), img, "true")
			r := d.cli(c, args...)
			if r.Code != 125 || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("%s %v: want exit 125 and %q; got %s", c, tc.args, tc.want, r)
			}
		}
	}
	if ls := must(t, d.docker("ps", "-aq")); strings.TrimSpace(ls) != "" {
		t.Errorf("refused creates left containers: %q", ls)
	}
	// --kernel-memory is dropped, as Docker does since API 1.42.
	for _, c := range clients {
		if r := d.cli(c, "run", "--rm", "--kernel-memory", "64m", img, "true"); r.Code != 0 {
			t.Errorf("%s --kernel-memory: %s", c, r)
		}
	}
}

// TestDevices: --device maps a host device with its permissions,
// --device-cgroup-rule allows a node made inside.
func TestDevices(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		r := d.cli(c, "run", "--rm", "--device", "/dev/zero:/dev/myzero", img, "sh", "-c", "head -c 5 /dev/myzero | wc -c; ls -l /dev/myzero")
		if r.Code != 0 || !strings.HasPrefix(r.Stdout, "5\n") || !strings.Contains(r.Stdout, "1,   5") {
			t.Errorf("%s --device: %s", c, r)
		}
		// /dev/kmsg opens for writing with no capability: the device cgroup decides.
		openW := "exec 3>/dev/mykmsg && echo opened"
		if r = d.cli(c, "run", "--rm", "--device", "/dev/kmsg:/dev/mykmsg:r", img, "sh", "-c", openW); r.Code == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
			t.Errorf("%s --device :r allows writes: %s", c, r)
		}
		if r = d.cli(c, "run", "--rm", "--device", "/dev/kmsg:/dev/mykmsg:rw", img, "sh", "-c", openW); r.Code != 0 || r.Stdout != "opened\n" {
			t.Errorf("%s --device :rw: %s", c, r)
		}
		r = d.cli(c, "run", "--rm", "--device", "/dev/nonexistent", img, "true")
		if r.Code == 0 || !strings.Contains(r.Stderr, `error gathering device information while adding custom device "/dev/nonexistent": no such file or directory`) {
			t.Errorf("%s --device missing: %s", c, r)
		}
		open := "mknod /tmp/kmsg c 1 11 && exec 3>/tmp/kmsg && echo opened"
		if r = d.cli(c, "run", "--rm", img, "sh", "-c", open); r.Code == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
			t.Errorf("%s: a device outside the cgroup opens: %s", c, r)
		}
		if r = d.cli(c, "run", "--rm", "--device-cgroup-rule", "c 1:11 w", img, "sh", "-c", open); r.Code != 0 || r.Stdout != "opened\n" {
			t.Errorf("%s --device-cgroup-rule: %s", c, r)
		}
	}
}

// TestOOMKill: a memory hog under --memory is killed by the kernel;
// the container records it (exit 137, OOMKilled) and an oom event.
func TestOOMKill(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	r := d.docker("run", "--name", "hog", "--memory", "16m", img, "sh", "-c", "tail /dev/zero")
	if r.Code != 137 {
		t.Fatalf("memory hog: %s", r)
	}
	for _, c := range clients {
		if got := inspectField(t, d, c, "hog", "{{.State.OOMKilled}} {{.State.ExitCode}}"); got != "true 137" {
			t.Errorf("%s inspect: %q", c, got)
		}
	}
	until := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	out := must(t, d.docker("events", "--since", since, "--until", until, "--filter", "container=hog", "--format", "{{.Action}}"))
	if !strings.Contains(out, "oom\ndie") {
		t.Errorf("events: want oom then die: %q", out)
	}
	// An ordinary exit is not an OOM kill.
	must(t, d.docker("run", "--name", "ok", "--memory", "16m", img, "true"))
	if got := inspectField(t, d, "docker", "ok", "{{.State.OOMKilled}}"); got != "false" {
		t.Errorf("ordinary exit: OOMKilled %s", got)
	}
}

// TestPidsLimitContainsForkBomb: forks beyond --pids-limit fail.
func TestPidsLimitContainsForkBomb(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	// The bomb runs in a child shell, which fails once forks fail; the
	// parent reads the count with builtins only.
	bomb := `sh -c 'for i in $(seq 30); do sleep 30 & done' 2>/dev/null; echo "bomb $?"; ` +
		`read n < /sys/fs/cgroup/pids/pids.current || read n < /sys/fs/cgroup/pids.current; echo "pids $n"`
	r := d.docker("run", "--rm", "--pids-limit", "10", img, "sh", "-c", bomb)
	var exit, pids int
	if _, err := fmt.Sscanf(r.Stdout, "bomb %d\npids %d", &exit, &pids); err != nil || exit == 0 || pids > 10 || pids < 2 {
		t.Errorf("fork bomb under --pids-limit 10: %s", r)
	}
}

// TestUpdate changes a running container's limits live, keeps them in
// HostConfig, refuses what dockerd refuses, and updates a stopped one for
// its next start.
func TestUpdate(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			name := "upd-" + c
			must(t, d.cli(c, "run", "-d", "--name", name, "--memory", "64m", img, "sleep", "1000"))
			defer d.cli(c, "rm", "-f", name)
			id := inspectField(t, d, c, name, "{{.Id}}")
			r := d.cli(c, "update", "--memory", "128m", "--memory-swap", "256m", "--cpus", "0.5", "--pids-limit", "20", "--cpu-shares", "256", "--restart", "on-failure:3", name)
			if r.Code != 0 || r.Stdout != name+"\n" {
				t.Fatalf("update: %s", r)
			}
			checkCgroup(t, d, c, name, []cgroupCheck{
				{"memory/memory.limit_in_bytes", "134217728", "memory.max", "134217728"},
				{"memory/memory.memsw.limit_in_bytes", "268435456", "memory.swap.max", "134217728"},
				{"cpu/cpu.cfs_quota_us", "50000", "cpu.max", "50000 100000"},
				{"cpu/cpu.shares", "256", "", ""},
				{"pids/pids.max", "20", "pids.max", "20"},
			})
			got := inspectField(t, d, c, name, "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}")
			if got != "134217728 268435456 500000000 20 on-failure:3" {
				t.Errorf("inspect after update: %q", got)
			}
			r = d.cli(c, "update", "--memory", "512m", name)
			want := "Cannot update container " + id + ": Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
			if r.Code != 1 || !strings.Contains(r.Stderr, want) {
				t.Errorf("memory above swap: want %q; got %s", want, r)
			}
			// As dockerd: a container without a swap limit needs one with a new memory limit.
			must(t, d.cli(c, "run", "-d", "--name", name+"-nolimit", img, "sleep", "1000"))
			defer d.cli(c, "rm", "-f", name+"-nolimit")
			if r = d.cli(c, "update", "--memory", "100m", name+"-nolimit"); r.Code != 1 || !strings.Contains(r.Stderr, "update the memoryswap at the same time") {
				t.Errorf("first memory limit without swap: %s", r)
			}
			must(t, d.cli(c, "update", "--memory", "100m", "--memory-swap", "-1", name+"-nolimit"))
			if r = d.cli(c, "update", "--memory", "4m", name); r.Code != 1 || !strings.Contains(r.Stderr, "Minimum memory limit allowed is 6MB") {
				t.Errorf("memory below the minimum: %s", r)
			}
			if r = d.cli(c, "update", "--cpu-period", "100000", name); r.Code != 1 || !strings.Contains(r.Stderr, "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set") {
				t.Errorf("period with cpus set: %s", r)
			}
			if r = d.cli(c, "update", name); r.Code == 0 || !strings.Contains(r.Stderr, "you must provide one or more flags when using this command") {
				t.Errorf("update without flags: %s", r)
			}
			if r = d.cli(c, "update", "--memory", "100m", "nosuch"); r.Code != 1 || !strings.Contains(r.Stderr, "No such container: nosuch") {
				t.Errorf("update of a missing container: %s", r)
			}
			// Stopped: stored, and in force at the next start.
			must(t, d.cli(c, "stop", "-t", "0", name))
			must(t, d.cli(c, "update", "--memory", "96m", name))
			must(t, d.cli(c, "start", name))
			checkCgroup(t, d, c, name, []cgroupCheck{{"memory/memory.limit_in_bytes", "100663296", "memory.max", "100663296"}})
		})
	}
	// The API answers Docker's body.
	must(t, d.docker("run", "-d", "--name", "upd-api", img, "sleep", "1000"))
	status, body := d.apiPost(t, "/containers/upd-api/update", `{"CpuShares":512}`)
	if status != 200 || strings.TrimSpace(body) != `{"Warnings":[]}` {
		t.Errorf("POST update: %d %s", status, body)
	}
	must(t, d.docker("rm", "-f", "upd-api"))
}

// dataDisk returns the whole block device holding dir ("/dev/vda") and
// its numbers ("254:0"), or skips the test where there is none (tmpfs,
// network filesystems).
func dataDisk(t *testing.T, dir string) (string, string) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	sys := fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
	if _, err := os.Stat(sys + "/partition"); err == nil {
		sys += "/.."
	}
	uevent, err := os.ReadFile(sys + "/uevent")
	if err != nil {
		t.Skipf("%s is not on a block device", dir)
	}
	var name, numbers string
	for _, l := range strings.Split(string(uevent), "\n") {
		if v, ok := strings.CutPrefix(l, "DEVNAME="); ok {
			name = "/dev/" + v
		}
		if v, ok := strings.CutPrefix(l, "MAJOR="); ok {
			numbers = v + numbers
		}
		if v, ok := strings.CutPrefix(l, "MINOR="); ok {
			numbers += ":" + v
		}
	}
	if _, err := os.Stat(name); err != nil {
		t.Skipf("no device node for %s: %v", dir, err)
	}
	return name, numbers
}

// TestOOMWhileDaemonDown: an OOM kill while berthd is away is recorded
// at its restart, from what the shim wrote.
func TestOOMWhileDaemonDown(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	trigger := t.TempDir()
	id := strings.TrimSpace(must(t, d.docker("run", "-d", "--memory", "16m", "-v", trigger+":/trigger", img,
		"sh", "-c", "while [ ! -e /trigger/go ]; do sleep 0.1; done; tail /dev/zero")))
	d.kill()
	if err := os.WriteFile(trigger+"/go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, err := os.Stat(d.ExecRoot + "/c/" + id + "/exit.json")
		return err == nil
	})
	d.start()
	if got := inspectField(t, d, "docker", id, "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}"); got != "exited 137 true" {
		t.Errorf("after an OOM kill while the daemon was down: %q", got)
	}
	must(t, d.docker("rm", id))
}
