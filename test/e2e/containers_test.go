package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
)

// busybox loads the busybox fixture as "bb:1" into d.
func busybox(t *testing.T, d *daemon) string {
	t.Helper()
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"bb:1"}})
	return "bb:1"
}

func TestRunOutputAndExitCodes(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			r := d.cli(c, "run", "--rm", img, "echo", "hello from berth")
			if r.Code != 0 || r.Stdout != "hello from berth\n" {
				t.Errorf("run echo: %s", r)
			}
			r = d.cli(c, "run", "--rm", img, "sh", "-c", "echo out; echo err >&2; exit 3")
			if r.Code != 3 || r.Stdout != "out\n" || !strings.Contains(r.Stderr, "err\n") {
				t.Errorf("run exit 3: %s", r)
			}
			r = d.cli(c, "run", "--rm", img, "nonexistent-cmd")
			if r.Code != 127 || !strings.Contains(r.Stderr, "executable file not found") {
				t.Errorf("run missing command: %s", r)
			}
			r = d.cli(c, "run", "--rm", "-e", "GREETING=hi", "-w", "/tmp", img, "sh", "-c", `echo "$GREETING $(pwd) $(hostname | wc -c)"`)
			if r.Code != 0 || r.Stdout != "hi /tmp 13\n" {
				t.Errorf("env, workdir, hostname: %s", r)
			}
			r = d.cliIn(c, []byte("piped stdin\n"), "run", "--rm", "-i", img, "cat")
			if r.Code != 0 || r.Stdout != "piped stdin\n" {
				t.Errorf("run -i: %s", r)
			}
			if ls := must(t, d.cli(c, "ps", "-aq")); strings.TrimSpace(ls) != "" {
				t.Errorf("--rm left containers: %q", ls)
			}
		})
	}
}

func TestDetachedLifecycle(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			name := "life-" + c
			id := strings.TrimSpace(must(t, d.cli(c, "run", "-d", "--name", name, img, "sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo started; while true; do sleep 0.1; done")))
			if len(id) != 64 {
				t.Fatalf("run -d printed %q", id)
			}
			waitFor(t, func() bool { return strings.Contains(d.cli(c, "logs", name).Stdout, "started") })
			ps := must(t, d.cli(c, "ps", "--format", "{{.Names}} {{.Status}} {{.Image}}", "--filter", "name="+name))
			if !strings.HasPrefix(ps, name+" Up ") || !strings.HasSuffix(strings.TrimSpace(ps), img) {
				t.Errorf("ps: %q", ps)
			}
			if r := d.cli(c, "start", name); r.Code != 0 {
				t.Errorf("start of a running container: %s", r)
			}
			if r := d.cli(c, "rm", name); r.Code == 0 || !strings.Contains(r.Stderr, "You cannot remove a running container") {
				t.Errorf("rm running: %s", r)
			}
			top := must(t, d.cli(c, "top", name))
			if !strings.Contains(top, "PID") || !strings.Contains(top, "sleep") {
				t.Errorf("top: %q", top)
			}
			must(t, d.cli(c, "pause", name))
			if st := inspectField(t, d, c, name, "{{.State.Status}}"); st != "paused" {
				t.Errorf("after pause: %s", st)
			}
			must(t, d.cli(c, "unpause", name))
			must(t, d.cli(c, "rename", name, name+"-x"))
			name += "-x"
			must(t, d.cli(c, "stop", name))
			if out := must(t, d.cli(c, "logs", name)); !strings.Contains(out, "got TERM") {
				t.Errorf("stop did not deliver SIGTERM: %q", out)
			}
			if code := inspectField(t, d, c, name, "{{.State.Status}} {{.State.ExitCode}}"); code != "exited 0" {
				t.Errorf("after stop: %s", code)
			}
			if r := d.cli(c, "stop", name); r.Code != 0 {
				t.Errorf("stop of a stopped container: %s", r)
			}
			must(t, d.cli(c, "rm", name))
			if r := d.cli(c, "inspect", name); r.Code == 0 || !strings.Contains(r.Stderr, "No such") {
				t.Errorf("inspect after rm: %s", r)
			}
		})
	}
}

func TestKillWaitAndExitCodes(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			name := "kill-" + c
			must(t, d.cli(c, "run", "-d", "--name", name, img, "sleep", "1000"))
			if r := d.cli(c, "kill", "-s", "NOPE", name); r.Code == 0 || !strings.Contains(r.Stderr, "Invalid signal") {
				t.Errorf("kill bad signal: %s", r)
			}
			must(t, d.cli(c, "kill", "-s", "KILL", name))
			out := must(t, d.cli(c, "wait", name))
			if strings.TrimSpace(out) != "137" {
				t.Errorf("wait after SIGKILL: %q", out)
			}
			var inspect []map[string]any
			if err := json.Unmarshal([]byte(must(t, d.cli(c, "inspect", name))), &inspect); err != nil {
				t.Fatal(err)
			}
			st := inspect[0]["State"].(map[string]any)
			if st["ExitCode"] != float64(137) || st["Running"] != false || st["FinishedAt"] == "0001-01-01T00:00:00Z" {
				t.Errorf("state after kill: %v", st)
			}
			if inspect[0]["Path"] != "sleep" || inspect[0]["Name"] != "/"+name {
				t.Errorf("inspect: %v %v", inspect[0]["Path"], inspect[0]["Name"])
			}
			must(t, d.cli(c, "rm", name))
		})
	}
}

func TestCreateErrors(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	r := d.docker("run", "--rm", "nonexistent/image:1", "true")
	if r.Code != 125 || !strings.Contains(r.Stderr, "nonexistent/image:1") {
		t.Errorf("run unknown image: %s", r)
	}
	must(t, d.docker("create", "--name", "taken", img, "true"))
	r = d.docker("create", "--name", "taken", img, "true")
	if r.Code == 0 || !strings.Contains(r.Stderr, `The container name "/taken" is already in use`) {
		t.Errorf("name conflict: %s", r)
	}
	r = d.docker("run", "--rm", "--gpus", "all", img, "true")
	if r.Code != 125 || !strings.Contains(r.Stderr, "not supported by Berth yet") {
		t.Errorf("unsupported option: %s", r)
	}
	must(t, d.docker("rm", "taken"))
}

// TestLiveRestore kills berthd with SIGKILL while a container writes a line
// every 50 ms, starts it again and checks that the container kept running
// and that no line was lost; a container that exits while berthd is down
// shows its exit code afterwards.
func TestLiveRestore(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	must(t, d.docker("run", "-d", "--name", "counter", img, "sh", "-c", "i=0; while [ $i -lt 60 ]; do echo line $i; i=$((i+1)); sleep 0.05; done; exit 4"))
	must(t, d.docker("run", "-d", "--name", "sleeper", img, "sleep", "1000"))
	must(t, d.docker("run", "-d", "--name", "quitter", img, "sh", "-c", "sleep 1; exit 7"))
	time.Sleep(500 * time.Millisecond)
	d.kill()
	time.Sleep(2 * time.Second)
	d.start()
	if st := inspectField(t, d, "docker", "sleeper", "{{.State.Status}}"); st != "running" {
		t.Errorf("sleeper after restart: %s", st)
	}
	if st := inspectField(t, d, "docker", "quitter", "{{.State.Status}} {{.State.ExitCode}}"); st != "exited 7" {
		t.Errorf("quitter after restart: %s", st)
	}
	if fin := inspectField(t, d, "docker", "quitter", "{{.State.FinishedAt}}"); strings.HasPrefix(fin, "0001") {
		t.Errorf("quitter FinishedAt: %s", fin)
	}
	out := must(t, d.docker("wait", "counter"))
	if strings.TrimSpace(out) != "4" {
		t.Errorf("counter exit: %q", out)
	}
	logs := lines(must(t, d.docker("logs", "counter")))
	if len(logs) != 60 {
		t.Errorf("counter logged %d lines, want 60", len(logs))
	}
	for i, l := range logs {
		if l != "line "+strconv.Itoa(i) {
			t.Errorf("line %d is %q", i, l)
			break
		}
	}
	must(t, d.docker("stop", "-t", "1", "sleeper"))
	must(t, d.docker("rm", "counter", "sleeper", "quitter"))
}

// TestNoLeaks runs create/start/rm cycles and checks that no mount, shim
// process, cgroup or file is left behind.
func TestNoLeaks(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	cycles := 200
	if os.Getenv("BERTH_LEAK_CYCLES") != "" {
		cycles, _ = strconv.Atoi(os.Getenv("BERTH_LEAK_CYCLES"))
	}
	var ids []string
	for i := range cycles {
		id := strings.TrimSpace(must(t, d.docker("run", "-d", img, "sh", "-c", fmt.Sprintf("echo %d", i))))
		ids = append(ids, id)
		must(t, d.docker("wait", id))
		must(t, d.docker("rm", "-f", id))
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), d.DataRoot) {
		t.Errorf("mounts left under the data root")
	}
	for _, id := range ids {
		for _, sub := range []string{"memory", "pids", "cpu", "freezer", ""} {
			if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", sub, "berth", id)); err == nil {
				t.Errorf("cgroup left: %s/%s", sub, id)
			}
		}
		if procs := shimProcesses(id); procs > 0 {
			t.Errorf("shim of %s still running", id)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(d.DataRoot, "containers"))
	if len(entries) != 0 {
		t.Errorf("%d container dirs left", len(entries))
	}
	if entries, _ := os.ReadDir(filepath.Join(d.DataRoot, "layers", "rw")); len(entries) != 0 {
		t.Errorf("%d rw layers left", len(entries))
	}
}

// shimProcesses counts processes whose command line names id.
func shimProcesses(id string) int {
	n := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), id) {
			n++
		}
	}
	return n
}

func inspectField(t *testing.T, d *daemon, c, name, format string) string {
	t.Helper()
	return strings.TrimSpace(must(t, d.cli(c, "inspect", "--format", format, name)))
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 100 {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met in 5 s")
}

func TestExec(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			name := "exec-" + c
			must(t, d.cli(c, "run", "-d", "--name", name, "-e", "FROM_RUN=1", img, "sleep", "1000"))
			r := d.cli(c, "exec", name, "sh", "-c", "echo $FROM_RUN $EXTRA; pwd; exit 5")
			if r.Code != 5 || r.Stdout != "1\n/app\n" {
				t.Errorf("exec: %s", r)
			}
			r = d.cli(c, "exec", "-e", "EXTRA=x", "-w", "/tmp", "-u", "nobody", name, "sh", "-c", "echo $FROM_RUN $EXTRA $(pwd) $(id -u)")
			if r.Code != 0 || r.Stdout != "1 x /tmp 65534\n" {
				t.Errorf("exec -e -w -u: %s", r)
			}
			r = d.cliIn(c, []byte("through exec\n"), "exec", "-i", name, "cat")
			if r.Code != 0 || r.Stdout != "through exec\n" {
				t.Errorf("exec -i: %s", r)
			}
			must(t, d.cli(c, "exec", "-d", name, "sh", "-c", "echo detached > /tmp/marker"))
			waitFor(t, func() bool { return d.cli(c, "exec", name, "cat", "/tmp/marker").Stdout == "detached\n" })
			r = d.cli(c, "exec", name, "nonexistent-cmd")
			if r.Code != 126 && r.Code != 127 {
				t.Errorf("exec of a missing command: %s", r)
			}
			must(t, d.cli(c, "kill", name))
			must(t, d.cli(c, "wait", name))
			r = d.cli(c, "exec", name, "true")
			if r.Code == 0 || !strings.Contains(r.Stderr, "is not running") {
				t.Errorf("exec in a stopped container: %s", r)
			}
			must(t, d.cli(c, "rm", name))
		})
	}
}

func TestLogsOptions(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	must(t, d.docker("run", "--name", "talker", img, "sh", "-c", "echo one; echo two >&2; sleep 0.2; echo three")) // stdout and stderr are separate pipes: the sleep orders them
	for _, c := range clients {
		r := d.cli(c, "logs", "talker")
		if r.Stdout != "one\nthree\n" || r.Stderr != "two\n" {
			t.Errorf("%s logs: %s", c, r)
		}
		if out := must(t, d.cli(c, "logs", "--tail", "1", "talker")); out != "three\n" {
			t.Errorf("%s logs --tail 1: %q", c, out)
		}
		out := must(t, d.cli(c, "logs", "-t", "talker"))
		if l := lines(out); len(l) != 2 || !strings.HasSuffix(l[0], " one") || !strings.HasPrefix(l[0], "20") {
			t.Errorf("%s logs -t: %q", c, out)
		}
	}
	// -f follows until the container exits.
	must(t, d.docker("run", "-d", "--name", "slow", img, "sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 0.2; done"))
	r := d.docker("logs", "-f", "slow")
	if r.Stdout != "tick 1\ntick 2\ntick 3\n" {
		t.Errorf("logs -f: %s", r)
	}
	must(t, d.docker("rm", "talker", "slow"))
}

// TestShimKilledWhileDaemonDown kills berthd and then the container's shim
// with SIGKILL: on restart the container is marked exited (255) and its
// orphaned process is cleaned up, not leaked.
func TestShimKilledWhileDaemonDown(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	id := strings.TrimSpace(must(t, d.docker("run", "-d", img, "sleep", "1000")))
	pid := inspectField(t, d, "docker", id, "{{.State.Pid}}")
	d.kill()
	shims := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		if cmd := string(b); strings.Contains(cmd, "berth-shim") && strings.Contains(cmd, id) {
			n, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			if proc, err := os.FindProcess(n); err == nil && proc.Kill() == nil {
				shims++
			}
		}
	}
	if shims == 0 {
		t.Fatal("found no shim to kill")
	}
	time.Sleep(300 * time.Millisecond)
	d.start()
	if st := inspectField(t, d, "docker", id, "{{.State.Status}} {{.State.ExitCode}}"); st != "exited 255" {
		t.Errorf("after the shim died: %s", st)
	}
	waitFor(t, func() bool {
		_, err := os.Stat("/proc/" + pid)
		return os.IsNotExist(err)
	})
	must(t, d.docker("rm", id))
}

func TestPsFiltersAndPrune(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	must(t, d.docker("run", "-d", "--name", "up1", "-l", "tier=web", img, "sleep", "1000"))
	if r := d.docker("run", "--name", "done3", "-l", "tier=batch", img, "sh", "-c", "exit 3"); r.Code != 3 {
		t.Fatalf("run exit 3: %s", r)
	}
	must(t, d.docker("create", "--name", "fresh", img, "true"))
	for _, c := range clients {
		cases := []struct {
			args []string
			want string
		}{
			{[]string{"ps", "--format", "{{.Names}}"}, "up1"},
			{[]string{"ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}"}, "done3"},
			{[]string{"ps", "-a", "--filter", "exited=3", "--format", "{{.Names}}"}, "done3"},
			{[]string{"ps", "-a", "--filter", "status=created", "--format", "{{.Names}}"}, "fresh"},
			{[]string{"ps", "-a", "--filter", "label=tier=web", "--format", "{{.Names}}"}, "up1"},
			{[]string{"ps", "-a", "--filter", "name=fre", "--format", "{{.Names}}"}, "fresh"},
			{[]string{"ps", "-a", "--filter", "ancestor=" + img, "-q"}, ""}, // checked by count below
			{[]string{"ps", "-a", "-n", "1", "--format", "{{.Names}}"}, "fresh"},
			{[]string{"ps", "-a", "--filter", "status=exited", "--format", "{{.Status}}"}, "Exited (3)"},
		}
		for _, tc := range cases {
			out := strings.TrimSpace(must(t, d.cli(c, tc.args...)))
			if tc.want == "" {
				if n := len(lines(out)); n != 3 {
					t.Errorf("%s %v: %d containers, want 3", c, tc.args, n)
				}
				continue
			}
			if !strings.HasPrefix(out, tc.want) || len(lines(out)) != 1 {
				t.Errorf("%s %v = %q, want %q", c, tc.args, out, tc.want)
			}
		}
		if r := d.cli(c, "ps", "--filter", "bogus=1"); r.Code == 0 || !strings.Contains(r.Stderr, "invalid filter 'bogus'") {
			t.Errorf("%s ps with a bad filter: %s", c, r)
		}
	}
	out := must(t, d.docker("container", "prune", "-f"))
	if !strings.Contains(out, "Total reclaimed space") {
		t.Errorf("prune output: %q", out)
	}
	if names := strings.TrimSpace(must(t, d.docker("ps", "-a", "--format", "{{.Names}}"))); names != "up1" {
		t.Errorf("after prune: %q", names)
	}
	must(t, d.docker("rm", "-f", "up1"))
}

func TestWaitConditions(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	id := strings.TrimSpace(must(t, d.docker("create", "--rm", img, "sh", "-c", "sleep 0.3; exit 6")))
	done := make(chan string, 1)
	go func() {
		_, body := d.api(t, "POST", "/containers/"+id+"/wait?condition=removed")
		done <- body
	}()
	time.Sleep(200 * time.Millisecond)
	must(t, d.docker("start", id))
	select {
	case out := <-done:
		if !strings.Contains(out, `"StatusCode":6`) {
			t.Errorf("wait removed: %q", out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("wait?condition=removed did not return")
	}
	if r := d.docker("inspect", id); r.Code == 0 {
		t.Errorf("--rm container still there")
	}
	if status, body := d.api(t, "POST", "/containers/nope/wait"); status != 404 || !strings.Contains(body, "No such container: nope") {
		t.Errorf("wait on a missing container: %d %s", status, body)
	}
	if status, body := d.api(t, "POST", "/containers/"+id+"/wait?condition=bogus"); status != 400 {
		t.Errorf("wait with a bad condition: %d %s", status, body)
	}
}

func TestAttachLogsAndSize(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	must(t, d.docker("run", "--name", "wrote", img, "sh", "-c", "echo earlier; head -c 5000 /bin/busybox > /big"))
	status, body := d.api(t, "POST", "/containers/wrote/attach?logs=1&stdout=1&stderr=1")
	if status != 200 || !strings.Contains(body, "earlier\n") || body[0] != 1 {
		t.Errorf("attach logs=1: %d %q", status, body)
	}
	if out := must(t, d.docker("inspect", "-s", "--format", "{{.SizeRw}}", "wrote")); strings.TrimSpace(out) != "5000" {
		t.Errorf("inspect -s SizeRw: %q", out)
	}
	out := must(t, d.docker("ps", "-a", "-s", "--format", "{{.Size}}"))
	if !strings.HasPrefix(strings.TrimSpace(out), "5kB") && !strings.HasPrefix(strings.TrimSpace(out), "5.") {
		t.Errorf("ps -s: %q", out)
	}
	must(t, d.docker("rm", "wrote"))
}

// TestCrunRuntime runs a container with crun where crun can run one: Debian's
// crun 1.8.1 refuses hosts with a hybrid cgroup v1/v2 layout (this VM).
func TestCrunRuntime(t *testing.T) {
	if _, err := os.Stat("/usr/bin/crun"); err != nil {
		t.Skip("crun not installed")
	}
	d := startDaemon(t)
	img := busybox(t, d)
	if r := d.docker("run", "--rm", "--runtime", "nope", img, "true"); r.Code != 125 || !strings.Contains(r.Stderr, "unknown or invalid runtime name: nope") {
		t.Errorf("unknown runtime: %s", r)
	}
	r := d.docker("run", "--rm", "--runtime", "crun", img, "echo", "via crun")
	if strings.Contains(r.Stderr, "cgroups in hybrid mode not supported") {
		t.Skip("crun cannot run containers on this host's hybrid cgroup layout: " + strings.TrimSpace(r.Stderr))
	}
	if r.Code != 0 || r.Stdout != "via crun\n" {
		t.Errorf("run with crun: %s", r)
	}
}

func TestPrivilegedAndCaps(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	capEff := func(args ...string) string {
		out := must(t, d.docker(append(append([]string{"run", "--rm"}, args...), img, "sh", "-c", "grep CapEff /proc/self/status")...))
		return strings.TrimSpace(strings.TrimPrefix(out, "CapEff:"))
	}
	if got := capEff(); got != "00000000a80425fb" {
		t.Errorf("default capabilities %s, want Docker's a80425fb", got)
	}
	if got := capEff("--cap-drop", "ALL", "--cap-add", "NET_ADMIN"); got != "0000000000001000" {
		t.Errorf("--cap-drop ALL --cap-add NET_ADMIN: %s", got)
	}
	r := d.docker("run", "--rm", "--privileged", img, "sh", "-c", "grep CapEff /proc/self/status; ls /dev | wc -l")
	if strings.Contains(r.Stderr, "oom_score_adj") || strings.Contains(r.Stderr, "permission denied") {
		t.Skip("this host cannot run privileged containers: " + r.Stderr)
	}
	if r.Code != 0 || strings.Contains(r.Stdout, "a80425fb") {
		t.Errorf("privileged: %s", r)
	}
	// Docker's masked paths are hidden without --privileged.
	if _, err := os.Stat("/proc/timer_list"); err == nil {
		if out := must(t, d.docker("run", "--rm", img, "sh", "-c", "wc -c < /proc/timer_list")); strings.TrimSpace(out) != "0" {
			t.Errorf("/proc/timer_list not masked: %q", out)
		}
	}
}

func TestDefaultBridge(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	must(t, d.docker("run", "-d", "--name", "srv", img, "sh", "-c", "echo hello-over-bridge > /tmp/index.html; exec busybox httpd -f -p 8080 -h /tmp"))
	ip := inspectField(t, d, "docker", "srv", "{{.NetworkSettings.IPAddress}}")
	if net := inspectField(t, d, "docker", "srv", "{{.NetworkSettings.Networks.bridge.IPAddress}}"); net != ip || ip == "" {
		t.Fatalf("IPAddress %q, Networks.bridge.IPAddress %q", ip, net)
	}
	gw := inspectField(t, d, "docker", "srv", "{{.NetworkSettings.Gateway}}")
	// Another container on the bridge reaches it by address; the gateway answers too.
	r := d.docker("run", "--rm", img, "sh", "-c", "busybox wget -q -O - http://"+ip+":8080/index.html && busybox ping -c 1 -W 2 "+gw+" >/dev/null && echo gw-ok")
	if r.Code != 0 || !strings.Contains(r.Stdout, "hello-over-bridge") || !strings.Contains(r.Stdout, "gw-ok") {
		t.Errorf("container to container over the bridge: %s", r)
	}
	// /etc/hosts names the container's own address.
	if out := must(t, d.docker("exec", "srv", "cat", "/etc/hosts")); !strings.Contains(out, ip+"\t") {
		t.Errorf("/etc/hosts: %q", out)
	}
	if out := must(t, d.docker("run", "--rm", "--network", "none", img, "sh", "-c", "ls /sys/class/net")); strings.TrimSpace(out) != "lo" {
		t.Errorf("--network none interfaces: %q", out)
	}
	must(t, d.docker("rm", "-f", "srv"))
	if out := settledBridgePorts(t, d, 0); out != "" {
		t.Errorf("veths left on the bridge: %s", out)
	}
}

// bridgeOf is the --bridge a test daemon was started with.
func bridgeOf(d *daemon) string {
	for i, a := range d.args {
		if a == "--bridge" && i+1 < len(d.args) {
			return d.args[i+1]
		}
	}
	return "berth0"
}

func TestLocalLogDriver(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	// Small files: the log rotates several times and rotated files get compressed.
	must(t, d.docker("run", "--name", "loc", "--log-driver", "local", "--log-opt", "max-size=10k", "--log-opt", "max-file=3", img,
		"sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done"))
	out := must(t, d.docker("logs", "--tail", "2", "loc"))
	if out != "line 1998\nline 1999\n" {
		t.Errorf("logs --tail 2: %q", out)
	}
	if lp := inspectField(t, d, "docker", "loc", "{{.LogPath}}"); lp != "" {
		t.Errorf("LogPath of a local-driver container: %q", lp)
	}
	if r := d.docker("run", "--rm", "--log-driver", "local", "--log-opt", "bogus=1", img, "true"); r.Code == 0 || !strings.Contains(r.Stderr, "unknown log opt 'bogus'") {
		t.Errorf("bad log opt: %s", r)
	}
	must(t, d.docker("rm", "loc"))
}
