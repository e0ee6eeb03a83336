package cli

import (
	"bytes"
	"testing"

	"github.com/moby/moby/api/types/volume"
)

func TestWriteVolumeList(t *testing.T) {
	vols := []volume.Volume{{Name: "zeta", Driver: "local"}, {Name: "alpha", Driver: "local", Labels: map[string]string{"k": "v"}}}
	cases := []struct {
		opts VolumeListOptions
		want string
	}{
		{VolumeListOptions{}, "DRIVER    VOLUME NAME\nlocal     alpha\nlocal     zeta\n"},
		{VolumeListOptions{Quiet: true}, "alpha\nzeta\n"},
		{VolumeListOptions{Format: "{{.Name}} {{.Labels}}"}, "alpha k=v\nzeta \n"},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if err := writeVolumeList(&buf, append([]volume.Volume(nil), vols...), c.opts); err != nil {
			t.Fatal(err)
		}
		if buf.String() != c.want {
			t.Errorf("%+v: got %q, want %q", c.opts, buf.String(), c.want)
		}
	}
}

func TestWriteVolumePruneReport(t *testing.T) {
	var buf bytes.Buffer
	writeVolumePruneReport(&buf, volume.PruneReport{VolumesDeleted: []string{"a", "b"}, SpaceReclaimed: 2048})
	if want := "Deleted Volumes:\na\nb\n\nTotal reclaimed space: 2.048kB\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}
