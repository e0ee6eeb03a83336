package builder

import (
	"testing"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func imageOf(diffIDs []digest.Digest, createdBy ...string) dockerspec.DockerOCIImage {
	at := time.Unix(1700000000, 0).UTC()
	img := dockerspec.DockerOCIImage{Image: ocispec.Image{RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}}}
	for _, c := range createdBy {
		img.History = append(img.History, ocispec.History{Created: &at, CreatedBy: c})
	}
	return img
}

func TestContinues(t *testing.T) {
	l1, l2 := digest.FromString("1"), digest.FromString("2")
	src := imageOf([]digest.Digest{l1, l2}, "base", "RUN a", "RUN b")
	cases := []struct {
		name   string
		parent dockerspec.DockerOCIImage
		want   bool
	}{
		{"scratch", dockerspec.DockerOCIImage{}, true},
		{"prefix", imageOf([]digest.Digest{l1}, "base"), true},
		{"two steps in", imageOf([]digest.Digest{l1, l2}, "base", "RUN a"), true},
		{"the whole source", imageOf([]digest.Digest{l1, l2}, "base", "RUN a", "RUN b"), false},
		{"other history", imageOf([]digest.Digest{l1}, "other"), false},
		{"other layer", imageOf([]digest.Digest{l2}, "base"), false},
	}
	for _, tc := range cases {
		if got := continues(src, tc.parent); got != tc.want {
			t.Errorf("%s: continues = %v, want %v", tc.name, got, tc.want)
		}
	}
	later := time.Unix(1800000000, 0)
	moved := imageOf([]digest.Digest{l1}, "base")
	moved.History[0].Created = &later
	if continues(src, moved) {
		t.Error("a parent whose history entry was made at another time continues the source")
	}
}
