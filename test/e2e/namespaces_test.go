package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestNamespaceModes: --pid, --ipc, --uts and --userns as Docker has them:
// the host's namespaces, another running container's, and shareable IPC
// with its /dev/shm.
func TestNamespaceModes(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	hostNS := func(kind string) string {
		link, err := os.Readlink("/proc/self/ns/" + kind)
		if err != nil {
			t.Fatal(err)
		}
		return link
	}
	nsOf := func(kind string, args ...string) string {
		out := must(t, d.docker(append(append([]string{"run", "--rm"}, args...), img, "busybox", "readlink", "/proc/self/ns/"+kind)...))
		return strings.TrimSpace(out)
	}
	for _, kind := range []string{"pid", "ipc", "uts"} {
		if got := nsOf(kind, "--"+kind, "host"); got != hostNS(kind) {
			t.Errorf("--%s host: namespace %s, want the host's %s", kind, got, hostNS(kind))
		}
		if got := nsOf(kind); got == hostNS(kind) {
			t.Errorf("default %s namespace is the host's", kind)
		}
	}
	host, _ := os.Hostname()
	if out := must(t, d.docker("run", "--rm", "--uts", "host", img, "busybox", "hostname")); strings.TrimSpace(out) != host {
		t.Errorf("--uts host: hostname %q, want %q", out, host)
	}
	if r := d.docker("run", "--rm", "--userns", "host", img, "true"); r.Code != 0 {
		t.Errorf("--userns host: %s", r)
	}

	// Another container's PID namespace: its processes are visible.
	must(t, d.docker("run", "-d", "--name", "donor", "--ipc", "shareable", img, "sh", "-c", "echo shared > /dev/shm/note; exec busybox sleep 1000"))
	if out := must(t, d.docker("run", "--rm", "--pid", "container:donor", img, "cat", "/proc/1/cmdline")); !strings.Contains(out, "sleep") {
		t.Errorf("--pid container:donor: pid 1 is %q, want the donor's sleep", out)
	}
	// Its IPC namespace and /dev/shm, as it is shareable.
	donorIPC := strings.TrimSpace(must(t, d.docker("exec", "donor", "busybox", "readlink", "/proc/self/ns/ipc")))
	out := must(t, d.docker("run", "--rm", "--ipc", "container:donor", img, "sh", "-c", "busybox readlink /proc/self/ns/ipc; cat /dev/shm/note"))
	if out != donorIPC+"\nshared\n" {
		t.Errorf("--ipc container:donor: %q, want %q and the donor's /dev/shm", out, donorIPC)
	}
	if got := inspectField(t, d, "docker", "donor", "{{.HostConfig.IpcMode}}"); got != "shareable" {
		t.Errorf("IpcMode %q", got)
	}

	// Docker's refusals.
	must(t, d.docker("run", "-d", "--name", "private", img, "busybox", "sleep", "1000"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ipc", "container:private"}, "non-shareable IPC (hint: use IpcMode:shareable for the donor container)"},
		{[]string{"--pid", "container:nosuch"}, "No such container: nosuch"},
		{[]string{"--uts", "host", "-h", "name"}, "onflicting options: hostname and the UTS mode"},
	} {
		r := d.docker(append(append([]string{"run", "--rm"}, c.args...), img, "true")...)
		if r.Code != 125 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("run %v: %s, want exit 125 and %q", c.args, r, c.want)
		}
	}
	must(t, d.docker("create", "--name", "stopped", img, "true"))
	r := d.docker("run", "--rm", "--pid", "container:stopped", img, "true")
	if r.Code != 125 || !strings.Contains(r.Stderr, "cannot join PID of a non running container: stopped") {
		t.Errorf("--pid container:<created>: %s", r)
	}
	// The donor's /dev/shm goes with it: the harness fails on leftover mounts.
	must(t, d.docker("rm", "-f", "donor", "private", "stopped"))
}
