package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
)

func TestImageEventsSinceUntil(t *testing.T) {
	d := startDaemon(t)
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	img := loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"ev/a:1"}})
	must(t, d.docker("tag", "ev/a:1", "ev/a:2"))
	must(t, d.docker("rmi", "ev/a:2"))
	until := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	for _, c := range clients {
		out := must(t, d.cli(c, "events", "--since", since, "--until", until, "--filter", "type=image", "--format", "{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes \"name\"}}"))
		got := lines(out)
		want := []string{
			"image load " + img.ID.String() + " " + img.ID.String(), // Docker names load events by ID
			"image tag " + img.ID.String() + " ev/a:2",
			"image untag " + img.ID.String() + " ",
		}
		if len(got) < 3 {
			t.Fatalf("%s events: %q", c, out)
		}
		for _, w := range want {
			found := false
			for _, g := range got {
				if strings.HasPrefix(g, strings.TrimSpace(w)) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s events lack %q in %q", c, w, got)
			}
		}
		// A filter that matches nothing returns nothing, and the stream ends at until.
		out = must(t, d.cli(c, "events", "--since", since, "--until", until, "--filter", "event=delete"))
		if strings.TrimSpace(out) != "" {
			t.Errorf("%s events event=delete: %q", c, out)
		}
	}
}

func TestSystemDF(t *testing.T) {
	d := startDaemon(t)
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"df/a:1"}})
	for _, c := range clients {
		out := must(t, d.cli(c, "system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}} {{.Reclaimable}}"))
		if !strings.Contains(out, "Images 1 0 1.98") || !strings.Contains(out, "(100%)") {
			t.Errorf("%s system df: %q", c, out)
		}
	}
}

// TestContainerEvents: a container's life as events, with Docker's
// attributes, filtered by container, event, label, type and image, replayed
// with --since/--until and --until alone.
func TestContainerEvents(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	must(t, d.docker("create", "--name", "ev1", "--label", "team=blue", img, "sleep", "1000"))
	must(t, d.docker("start", "ev1"))
	must(t, d.docker("rename", "ev1", "ev2"))
	must(t, d.docker("pause", "ev2"))
	must(t, d.docker("unpause", "ev2"))
	must(t, d.docker("exec", "ev2", "true"))
	must(t, d.docker("top", "ev2"))
	must(t, d.docker("kill", "ev2"))
	must(t, d.docker("wait", "ev2"))
	must(t, d.docker("start", "ev2"))
	must(t, d.docker("restart", "-t", "0", "ev2"))
	must(t, d.docker("stop", "-t", "0", "ev2"))
	must(t, d.docker("rm", "ev2"))
	must(t, d.docker("run", "--name", "other", img, "true"))
	time.Sleep(1100 * time.Millisecond) // let until fall after the last event
	until := strconv.FormatInt(time.Now().Unix(), 10)
	format := `{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.image}} {{.Actor.Attributes.team}}` +
		` {{index .Actor.Attributes "oldName"}}{{index .Actor.Attributes "signal"}}{{index .Actor.Attributes "exitCode"}}`
	want := []string{
		"container create ev1 bb:1 blue ",
		"container start ev1 bb:1 blue ",
		"container rename ev2 bb:1 blue /ev1",
		"container pause ev2 bb:1 blue ",
		"container unpause ev2 bb:1 blue ",
		"container exec_create: true  ev2 bb:1 blue ",
		"container exec_start: true  ev2 bb:1 blue ",
		"container exec_die ev2 bb:1 blue 0",
		"container top ev2 bb:1 blue ",
		"container kill ev2 bb:1 blue 9",
		"container die ev2 bb:1 blue 137",
		"container start ev2 bb:1 blue ",
		"container kill ev2 bb:1 blue 15",
		"container kill ev2 bb:1 blue 9",
		"container die ev2 bb:1 blue 137",
		"container stop ev2 bb:1 blue ",
		"container start ev2 bb:1 blue ",
		"container restart ev2 bb:1 blue ",
		"container kill ev2 bb:1 blue 15",
		"container kill ev2 bb:1 blue 9",
		"container die ev2 bb:1 blue 137",
		"container stop ev2 bb:1 blue ",
		"container destroy ev2 bb:1 blue ",
	}
	for _, c := range clients {
		got := lines(must(t, d.cli(c, "events", "--since", since, "--until", until, "--filter", "label=team=blue", "--format", format)))
		for i := range got {
			got[i] = strings.TrimRight(got[i], " ")
		}
		for i := range want {
			want[i] = strings.TrimRight(want[i], " ")
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s events:\n%s\nwant:\n%s", c, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// container= matches a name prefix; event= several actions; type and image narrow.
		got = lines(must(t, d.cli(c, "events", "--since", since, "--until", until, "--filter", "container=oth", "--filter", "event=start",
			"--filter", "event=die", "--filter", "type=container", "--filter", "image=bb", "--format", "{{.Action}} {{.Actor.Attributes.name}}")))
		if strings.Join(got, "|") != "start other|die other" {
			t.Errorf("%s filtered events: %q", c, got)
		}
		// --until alone replays what happened before it.
		got = lines(must(t, d.cli(c, "events", "--until", until, "--filter", "event=destroy", "--format", "{{.Actor.Attributes.name}}")))
		if strings.Join(got, "|") != "ev2" {
			t.Errorf("%s --until only: %q", c, got)
		}
	}
	// The die event carries how long the run lasted, in seconds.
	die := must(t, d.docker("events", "--since", since, "--until", until, "--filter", "container=other", "--filter", "event=die", "--format", "{{json .Actor.Attributes}}"))
	if !strings.Contains(die, `"execDuration":"0"`) || !strings.Contains(die, `"exitCode":"0"`) {
		t.Errorf("die attributes: %s", die)
	}
	// A resize carries the new size.
	must(t, d.docker("run", "-d", "-t", "--name", "tty", img, "sleep", "1000"))
	if status, body := d.apiPost(t, "/containers/tty/resize?h=30&w=100", ""); status != 200 {
		t.Fatalf("resize: %d %s", status, body)
	}
	resize := must(t, d.docker("events", "--since", since, "--until", strconv.FormatInt(time.Now().Unix()+1, 10), "--filter", "event=resize",
		"--format", `{{.Actor.Attributes.name}} {{.Actor.Attributes.height}}x{{.Actor.Attributes.width}}`))
	if strings.TrimSpace(resize) != "tty 30x100" {
		t.Errorf("resize events: %q", resize)
	}
	must(t, d.docker("rm", "-f", "tty", "other"))
	r := d.docker("events", "--since", until, "--until", since)
	if r.Code == 0 || !strings.Contains(r.Stderr, "cannot be after `until` time") {
		t.Errorf("since after until: %s", r)
	}
}

// TestOOMEvent: a container killed by the memory cgroup reports oom before
// die, as Docker.
func TestOOMEvent(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	r := d.docker("run", "--name", "hog", "--memory", "16m", "--memory-swap", "16m", img, "sh", "-c", "a=xxxxxxxx; while true; do a=$a$a; done")
	if strings.Contains(r.Stderr, "not supported") {
		t.Skipf("--memory: %s", r.Stderr)
	}
	if r.Code != 137 || inspectField(t, d, "docker", "hog", "{{.State.OOMKilled}}") != "true" {
		t.Fatalf("memory hog: %s", r)
	}
	evs := lines(must(t, d.docker("events", "--since", since, "--until", strconv.FormatInt(time.Now().Unix()+1, 10), "--filter", "container=hog",
		"--filter", "event=oom", "--filter", "event=die", "--format", `{{.Action}} {{index .Actor.Attributes "exitCode"}}`)))
	if strings.Join(evs, "|") != "oom |die 137" {
		t.Errorf("oom events: %q", evs)
	}
	must(t, d.docker("rm", "hog"))
}

// TestAttachDetachEvents: attaching sends attach; the detach keys, when
// the daemon sees them, detach. (With a TTY the docker CLI catches the keys
// itself and just hangs up, so Docker sends no detach then either.)
func TestAttachDetachEvents(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	must(t, d.docker("run", "-d", "-i", "--name", "det", img, "cat"))
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	// The CLI then waits for the container's exit: it is killed once the
	// events are in.
	attach := exec.Command("docker", "-H", d.Host, "attach", "det")
	attach.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
	attach.Stdin = bytes.NewReader([]byte{16, 17}) // ctrl-p ctrl-q
	if err := attach.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = attach.Process.Kill(); _ = attach.Wait() }()
	var evs []string
	eventually(t, time.Minute, "detach event", func() bool {
		evs = lines(must(t, d.docker("events", "--since", since, "--until", strconv.FormatInt(time.Now().Unix(), 10), "--filter", "container=det",
			"--filter", "event=attach", "--filter", "event=detach", "--format", "{{.Action}}")))
		return len(evs) >= 2
	})
	if strings.Join(evs, "|") != "attach|detach" {
		t.Errorf("attach events: %q", evs)
	}
	if st := inspectField(t, d, "docker", "det", "{{.State.Status}}"); st != "running" {
		t.Errorf("after detach: %s", st)
	}
	must(t, d.docker("rm", "-f", "det"))
}
