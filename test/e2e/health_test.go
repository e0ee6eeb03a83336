package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
	"github.com/opencontainers/go-digest"
)

// health is State.Health as inspect shows it.
type health struct {
	Status        string
	FailingStreak int
	Log           []struct {
		Start, End time.Time
		ExitCode   int
		Output     string
	}
}

func inspectHealth(t *testing.T, d *daemon, c, name string) *health {
	t.Helper()
	var h *health
	if err := json.Unmarshal([]byte(inspectField(t, d, c, name, "{{json .State.Health}}")), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func healthStatus(t *testing.T, d *daemon, name string) string {
	t.Helper()
	return inspectField(t, d, "docker", name, "{{if .State.Health}}{{.State.Health.Status}}{{end}}")
}

// TestHealthcheckTransitions: a probe that tests for a file goes starting
// (failures in the start period do not count) -> healthy when the file
// appears -> unhealthy after --health-retries failures once it is gone,
// with the events, ps status and filter, and the last 5 results.
func TestHealthcheckTransitions(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	must(t, d.docker("run", "-d", "--name", "hc", "--health-cmd", "cat /tmp/ok", "--health-interval", "200ms",
		"--health-retries", "2", "--health-start-period", "1h", "--health-start-interval", "200ms", img, "sleep", "1000"))
	eventually(t, time.Minute, "failed probes logged", func() bool { return len(inspectHealth(t, d, "docker", "hc").Log) >= 2 })
	for _, c := range clients {
		h := inspectHealth(t, d, c, "hc")
		if h.Status != "starting" || h.FailingStreak != 0 || h.Log[0].ExitCode != 1 || !strings.Contains(h.Log[0].Output, "No such file") {
			t.Errorf("%s health in the start period: %+v", c, h)
		}
		if st := must(t, d.cli(c, "ps", "--format", "{{.Status}}")); !strings.HasSuffix(strings.TrimSpace(st), "(health: starting)") {
			t.Errorf("%s ps status: %q", c, st)
		}
	}
	must(t, d.docker("exec", "hc", "sh", "-c", "echo fine > /tmp/ok"))
	eventually(t, time.Minute, "healthy", func() bool { return healthStatus(t, d, "hc") == "healthy" })
	for _, c := range clients {
		if st := must(t, d.cli(c, "ps", "--filter", "health=healthy", "--format", "{{.Names}} {{.Status}}")); !strings.HasPrefix(st, "hc Up ") || !strings.HasSuffix(strings.TrimSpace(st), " (healthy)") {
			t.Errorf("%s ps health=healthy: %q", c, st)
		}
		if st := must(t, d.cli(c, "ps", "-q", "--filter", "health=unhealthy")); st != "" {
			t.Errorf("%s ps health=unhealthy: %q", c, st)
		}
		if r := d.cli(c, "ps", "--filter", "health=sick"); r.Code == 0 || !strings.Contains(r.Stderr, "invalid filter 'health=sick'") {
			t.Errorf("%s ps health=sick: %s", c, r)
		}
	}
	must(t, d.docker("exec", "hc", "rm", "/tmp/ok"))
	eventually(t, time.Minute, "unhealthy", func() bool { return healthStatus(t, d, "hc") == "unhealthy" })
	eventually(t, time.Minute, "a full log", func() bool { return len(inspectHealth(t, d, "docker", "hc").Log) == 5 })
	h := inspectHealth(t, d, "docker", "hc")
	last := h.Log[len(h.Log)-1]
	if h.FailingStreak < 2 || last.ExitCode != 1 || last.End.Before(last.Start) || last.Start.IsZero() {
		t.Errorf("unhealthy state: %+v", h)
	}
	if st := must(t, d.docker("ps", "-q", "--filter", "health=unhealthy")); strings.TrimSpace(st) == "" {
		t.Errorf("ps health=unhealthy lists nothing")
	}
	until := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	for _, c := range clients {
		evs := lines(must(t, d.cli(c, "events", "--since", since, "--until", until, "--filter", "event=health_status", "--format", "{{.Action}}")))
		if strings.Join(evs, "|") != "health_status: healthy|health_status: unhealthy" {
			t.Errorf("%s health events: %q", c, evs)
		}
		// Each probe is an exec, with Docker's events.
		evs = lines(must(t, d.cli(c, "events", "--since", since, "--until", until, "--filter", "event=exec_start", "--format", "{{.Action}}")))
		if len(evs) < 5 || evs[0] != "exec_start: /bin/sh -c cat /tmp/ok" {
			t.Errorf("%s probe exec events: %q", c, evs)
		}
	}

	// Stopping ends the probes; Docker then reports unhealthy.
	must(t, d.docker("stop", "-t", "0", "hc"))
	n := len(lines(must(t, d.docker("events", "--since", since, "--until", strconv.FormatInt(time.Now().Unix()+1, 10), "--filter", "event=exec_die", "--format", "{{.Action}}"))))
	time.Sleep(time.Second) // five probe intervals
	m := len(lines(must(t, d.docker("events", "--since", since, "--until", strconv.FormatInt(time.Now().Unix()+1, 10), "--filter", "event=exec_die", "--format", "{{.Action}}"))))
	if m != n {
		t.Errorf("probes ran after stop: %d exec_die events, then %d", n, m)
	}
	if got := healthStatus(t, d, "hc"); got != "unhealthy" {
		t.Errorf("health after stop: %s", got)
	}
	must(t, d.docker("rm", "hc"))
}

// TestHealthcheckTimeoutAndOutput: a probe past --health-timeout is killed
// and fails with Docker's message; long output is cut at 4096 bytes.
func TestHealthcheckTimeoutAndOutput(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	must(t, d.docker("run", "-d", "--name", "slow", "--health-cmd", "echo partial; sleep 30", "--health-timeout", "300ms",
		"--health-interval", "500ms", "--health-retries", "1", img, "sleep", "1000"))
	must(t, d.docker("run", "-d", "--name", "loud", "--health-cmd", "head -c 5000 /dev/zero | tr '\\0' x", "--health-interval", "200ms", img, "sleep", "1000"))
	eventually(t, time.Minute, "slow unhealthy", func() bool { return healthStatus(t, d, "slow") == "unhealthy" })
	h := inspectHealth(t, d, "docker", "slow")
	if r := h.Log[0]; r.ExitCode != -1 || r.Output != "Health check exceeded timeout (300ms): partial\n" {
		t.Errorf("timed-out probe: %+v", r)
	}
	// Killed probes do not pile up: at most the current one runs.
	time.Sleep(2 * time.Second)
	if ps := must(t, d.docker("top", "slow")); strings.Count(ps, "sleep 30") > 1 {
		t.Errorf("timed-out probes still run:\n%s", ps)
	}
	eventually(t, time.Minute, "loud healthy", func() bool { return healthStatus(t, d, "loud") == "healthy" })
	out := inspectHealth(t, d, "docker", "loud").Log[0].Output
	if len(out) != 4096+3 || !strings.HasSuffix(out, "x...") {
		t.Errorf("long output: %d bytes, ends %q", len(out), out[max(0, len(out)-8):])
	}
	must(t, d.docker("rm", "-f", "slow", "loud"))
}

// TestHealthcheckFromImage: the image's HEALTHCHECK applies, command-line
// flags override it field by field, --no-healthcheck disables it, bad
// durations are refused, and monitoring resumes after a daemon restart.
func TestHealthcheckFromImage(t *testing.T) {
	d := startDaemon(t)
	img := fixture.Build(t, fixture.Options{RepoTags: []string{"hc/img:1"}, Cmd: []string{"sleep", "1000"}})
	var cfg map[string]any
	if err := json.Unmarshal(img.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["config"].(map[string]any)["Healthcheck"] = map[string]any{"Test": []string{"CMD", "true"}, "Interval": int64(time.Hour), "Retries": 3}
	img.Config, _ = json.Marshal(cfg)
	img.ID = digest.FromBytes(img.Config)
	path := filepath.Join(t.TempDir(), "img.tar")
	if err := os.WriteFile(path, img.DockerArchive(t), 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, d.docker("load", "-i", path))

	must(t, d.docker("run", "-d", "--name", "fromimg", "--health-interval", "200ms", "hc/img:1"))
	must(t, d.docker("run", "-d", "--name", "nocheck", "--no-healthcheck", "hc/img:1"))
	if got := inspectField(t, d, "docker", "fromimg", "{{json .Config.Healthcheck}}"); got != `{"Test":["CMD","true"],"Interval":200000000,"Retries":3}` {
		t.Errorf("merged healthcheck: %s", got)
	}
	eventually(t, time.Minute, "healthy", func() bool { return healthStatus(t, d, "fromimg") == "healthy" })
	if got := inspectField(t, d, "docker", "nocheck", "{{json .State.Health}} {{json .Config.Healthcheck.Test}}"); got != `null ["NONE"]` {
		t.Errorf("--no-healthcheck: %s", got)
	}
	if st := must(t, d.docker("ps", "--filter", "health=none", "--format", "{{.Names}}")); strings.TrimSpace(st) != "nocheck" {
		t.Errorf("ps health=none: %q", st)
	}
	for _, c := range clients {
		r := d.cli(c, "run", "-d", "--health-cmd", "true", "--health-interval", "500us", "hc/img:1")
		if r.Code != 125 || !strings.Contains(r.Stderr, "Interval in Healthcheck cannot be less than 1ms") {
			t.Errorf("%s sub-millisecond interval: %s", c, r)
		}
	}

	// After a daemon crash the probes go on: starting again, then healthy.
	d.kill()
	d.start()
	eventually(t, time.Minute, "healthy after restart", func() bool { return healthStatus(t, d, "fromimg") == "healthy" })
	since := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	evs := must(t, d.docker("events", "--since", since, "--until", strconv.FormatInt(time.Now().Unix()+1, 10), "--filter", "container=fromimg", "--filter", "event=health_status", "--format", "{{.Action}}"))
	if strings.TrimSpace(evs) != "health_status: healthy" {
		t.Errorf("events after restart: %q", evs)
	}
	must(t, d.docker("rm", "-f", "fromimg", "nocheck"))
}
