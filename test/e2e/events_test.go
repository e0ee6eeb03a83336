package e2e

import (
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
