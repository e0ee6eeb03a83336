package e2e

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// eventually polls cond until it holds, failing the test after limit. The
// limit only bounds a wait for what must happen; it decides nothing.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in %s", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRestartPolicyValidation(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		for _, tc := range []struct {
			args []string
			msg  string
		}{
			{[]string{"--restart", "always:3"}, "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
			{[]string{"--restart", "on-failure:-1"}, "invalid restart policy: maximum retry count cannot be negative"},
			{[]string{"--restart", "sometimes"}, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"},
			{[]string{"--restart", "on-failure:x"}, "invalid restart policy format: maximum retry count must be an integer"},
			{[]string{"--rm", "--restart", "always"}, "conflicting options: cannot specify both --restart and --rm"},
		} {
			r := d.cli(c, append(append([]string{"run", "-d"}, tc.args...), img, "true")...)
			if r.Code != 125 || !strings.Contains(r.Stderr, tc.msg) {
				t.Errorf("%s run %v: %s", c, tc.args, r)
			}
		}
	}
	// The daemon refuses --rm with a policy from clients that do not check.
	status, body := d.apiPost(t, "/containers/create", `{"Image":"`+img+`","HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}}`)
	if status != 400 || !strings.Contains(body, "can't create 'AutoRemove' container with restart policy") {
		t.Errorf("create AutoRemove with policy: %d %s", status, body)
	}
	if out := must(t, d.docker("ps", "-aq")); strings.TrimSpace(out) != "" {
		t.Errorf("refused creates left containers: %q", out)
	}
}

// TestRestartOnFailure: on-failure:2 restarts a failing container exactly
// twice (die and start events for each), then leaves it exited; a manual
// start resets RestartCount.
func TestRestartOnFailure(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	must(t, d.docker("run", "-d", "--name", "fail", "--restart", "on-failure:2", img, "sh", "-c", "echo ran; exit 3"))
	eventually(t, time.Minute, "on-failure:2 gives up", func() bool {
		return inspectField(t, d, "docker", "fail", "{{.State.Status}} {{.RestartCount}}") == "exited 2"
	})
	time.Sleep(time.Second) // a third restart would come within 400 ms
	for _, c := range clients {
		if got := inspectField(t, d, c, "fail", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}"); got != "exited 3 2 on-failure:2" {
			t.Errorf("%s inspect: %s", c, got)
		}
	}
	if n := len(lines(must(t, d.docker("logs", "fail")))); n != 3 {
		t.Errorf("ran %d times, want 3", n)
	}
	until := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	for _, c := range clients {
		evs := lines(must(t, d.cli(c, "events", "--since", since, "--until", until, "--filter", "container=fail", "--filter", "event=start", "--filter", "event=die",
			"--format", `{{.Action}} {{index .Actor.Attributes "exitCode"}} {{index .Actor.Attributes "execDuration"}}`)))
		want := []string{"start  ", "die 3 0", "start  ", "die 3 0", "start  ", "die 3 0"}
		if strings.Join(evs, "|") != strings.Join(want, "|") {
			t.Errorf("%s events: %q, want %q", c, evs, want)
		}
	}
	// A manual start begins anew: RestartCount 0, then two restarts again.
	must(t, d.docker("start", "fail"))
	eventually(t, time.Minute, "second round", func() bool {
		return inspectField(t, d, "docker", "fail", "{{.State.Status}} {{.RestartCount}}") == "exited 2"
	})
	must(t, d.docker("rm", "fail"))

	// Attached, run shows the first run's output and exit code while the
	// policy goes on in the background.
	for _, c := range clients {
		r := d.cli(c, "run", "--name", "att-"+c, "--restart", "on-failure:1", img, "sh", "-c", "echo hi; exit 2")
		if r.Code != 2 || r.Stdout != "hi\n" {
			t.Errorf("%s attached run: %s", c, r)
		}
		eventually(t, time.Minute, "restarted once", func() bool {
			return inspectField(t, d, "docker", "att-"+c, "{{.State.Status}} {{.RestartCount}}") == "exited 1"
		})
		must(t, d.docker("rm", "att-"+c))
	}
}

// TestRestartStopDuringBackoff: a container that keeps failing waits ever
// longer between runs ("Restarting (1) ..." in ps); stop, kill and rm -f
// during that wait cancel the restart for good.
func TestRestartStopDuringBackoff(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, name := range []string{"bstop", "bkill", "brm"} {
		must(t, d.docker("run", "-d", "--name", name, "--restart", "always", img, "sh", "-c", "exit 1"))
	}
	restarting := func(name string) func() bool {
		return func() bool {
			out := inspectField(t, d, "docker", name, "{{.State.Status}} {{.RestartCount}}")
			f := strings.Fields(out)
			n, _ := strconv.Atoi(f[1])
			return f[0] == "restarting" && n >= 5 // the wait is now 3.2 s or more
		}
	}
	eventually(t, time.Minute, "bstop restarting", restarting("bstop"))
	for _, c := range clients {
		st := must(t, d.cli(c, "ps", "--filter", "name=bstop", "--format", "{{.Status}}"))
		if !strings.HasPrefix(st, "Restarting (1) ") || !strings.HasSuffix(strings.TrimSpace(st), " ago") {
			t.Errorf("%s ps status: %q", c, st)
		}
		if got := inspectField(t, d, c, "bstop", "{{.State.Running}} {{.State.Restarting}} {{.State.Pid}}"); got != "true true 0" {
			t.Errorf("%s inspect while restarting: %s", c, got)
		}
	}
	// A waiter sees the container leave the restarting state.
	waited := make(chan result, 1)
	go func() { waited <- d.docker("wait", "bstop") }()
	time.Sleep(200 * time.Millisecond)
	count := inspectField(t, d, "docker", "bstop", "{{.RestartCount}}")
	must(t, d.docker("stop", "bstop"))
	if r := <-waited; r.Code != 0 || strings.TrimSpace(r.Stdout) != "1" {
		t.Errorf("wait on a restarting container: %s", r)
	}
	eventually(t, time.Minute, "bkill restarting", restarting("bkill"))
	must(t, d.docker("kill", "bkill"))
	eventually(t, time.Minute, "brm restarting", restarting("brm"))
	must(t, d.docker("rm", "-f", "brm"))
	time.Sleep(4 * time.Second) // past the pending restarts' delays
	if got := inspectField(t, d, "docker", "bstop", "{{.State.Status}} {{.RestartCount}}"); got != "exited "+count {
		t.Errorf("bstop after stop: %s, want exited %s", got, count)
	}
	if got := inspectField(t, d, "docker", "bkill", "{{.State.Status}}"); got != "exited" {
		t.Errorf("bkill after kill: %s", got)
	}
	if r := d.docker("inspect", "brm"); r.Code == 0 {
		t.Errorf("brm still exists")
	}
	// stop on an exited container is a no-op, as in Docker.
	must(t, d.docker("stop", "bstop"))
	must(t, d.docker("rm", "bstop", "bkill"))
}

// TestRestartAcrossDaemonRestart: always (even stopped by hand) and
// unless-stopped containers come back when berthd starts again, whether it
// was killed or shut down; a container of either that ended while berthd
// was down is restarted at boot; unless-stopped stays down once stopped by
// hand.
func TestRestartAcrossDaemonRestart(t *testing.T) {
	d := startDaemon(t, "--live-restore=false")
	img := busybox(t, d)
	must(t, d.docker("run", "-d", "--name", "always", "--stop-timeout", "1", "--restart", "always", img, "sleep", "1000"))
	must(t, d.docker("run", "-d", "--name", "unless", "--stop-timeout", "1", "--restart", "unless-stopped", img, "sleep", "1000"))
	must(t, d.docker("run", "-d", "--name", "stopped-unless", "--stop-timeout", "1", "--restart", "unless-stopped", img, "sleep", "1000"))
	must(t, d.docker("run", "-d", "--name", "stopped-always", "--stop-timeout", "1", "--restart", "always", img, "sleep", "1000"))
	must(t, d.docker("run", "-d", "--name", "none", "--stop-timeout", "1", img, "sleep", "1000"))
	must(t, d.docker("stop", "-t", "0", "stopped-unless", "stopped-always"))

	// SIGKILL, with live restore off: the containers keep running while
	// berthd is down; one of them dies meanwhile.
	startedAt := inspectField(t, d, "docker", "always", "{{.State.StartedAt}}")
	d.kill()
	pid := inspectPidFromDisk(t, d, "always")
	if err := exec.Command("kill", "-9", pid).Run(); err != nil {
		t.Fatalf("killing the always container: %v", err)
	}
	time.Sleep(time.Second)
	d.start()
	states := func() string {
		return must(t, d.docker("ps", "-a", "--format", "{{.Names}}={{.State}}"))
	}
	for _, want := range []string{"always=running", "unless=running", "stopped-unless=exited", "stopped-always=running"} {
		if !strings.Contains(states(), want) {
			t.Errorf("after SIGKILL: want %s in\n%s", want, states())
		}
	}

	if again := inspectField(t, d, "docker", "always", "{{.State.StartedAt}}"); again == startedAt {
		t.Errorf("the always container that died while berthd was down was not started again (StartedAt %s)", again)
	}

	// SIGTERM with live restore off stops every container, which is not a
	// manual stop: all with a policy come back.
	d.stop()
	d.start()
	for _, want := range []string{"always=running", "unless=running", "stopped-unless=exited", "stopped-always=running", "none=exited"} {
		if !strings.Contains(states(), want) {
			t.Errorf("after SIGTERM: want %s in\n%s", want, states())
		}
	}
	must(t, d.docker("rm", "-f", "always", "unless", "stopped-unless", "stopped-always", "none"))
}

// inspectPidFromDisk reads a container's pid from berthd's record while
// berthd is down.
func inspectPidFromDisk(t *testing.T, d *daemon, name string) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `grep -l '"Name":"/`+name+`"' `+d.DataRoot+`/containers/*/config.v2.json | head -1 | xargs cat`).Output()
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(out), `"Pid":`)
	if i < 0 {
		t.Fatalf("no pid in %s", out)
	}
	rest := string(out)[i+len(`"Pid":`):]
	return rest[:strings.IndexAny(rest, ",}")]
}
