package volume

import (
	"strings"
	"testing"

	"github.com/moby/moby/api/types/mount"
)

func TestParseVolumesFrom(t *testing.T) {
	for _, c := range []struct {
		in     string
		ref    string
		rw     bool
		errMsg string
	}{
		{"data", "data", true, ""},
		{"data:ro", "data", false, ""},
		{"data:rw", "data", true, ""},
		{"data:ro,z", "data", false, ""},
		{"data:Z", "data", true, ""},
		{"data:rshared", "", false, "invalid mode: rshared"},
		{"data:nocopy", "", false, "invalid mode: nocopy"},
		{"data:ro,rw", "", false, "invalid mode: ro,rw"},
		{"", "", false, "volumes-from specification cannot be an empty string"},
	} {
		ref, rw, err := ParseVolumesFrom(c.in)
		if c.errMsg != "" {
			if err == nil || !strings.Contains(err.Error(), c.errMsg) {
				t.Errorf("ParseVolumesFrom(%q) = %v, want %q", c.in, err, c.errMsg)
			}
			continue
		}
		if err != nil || ref != c.ref || rw != c.rw {
			t.Errorf("ParseVolumesFrom(%q) = %q, %v, %v", c.in, ref, rw, err)
		}
	}
}

func TestInherit(t *testing.T) {
	src := []Mount{
		{Type: mount.TypeVolume, Name: "v", Destination: "/v", RW: true, Mode: "z"},
		{Type: mount.TypeBind, Source: "/h", Destination: "/b", RW: false},
		{Type: mount.TypeTmpfs, Destination: "/t", RW: true},
	}
	got := Inherit(src, true)
	if len(got) != 2 || !got[0].RW || got[1].RW || !got[0].NoCopy || got[0].Mode != "" {
		t.Errorf("Inherit rw: %+v", got)
	}
	if got := Inherit(src, false); got[0].RW {
		t.Errorf("Inherit ro: %+v", got)
	}
}
