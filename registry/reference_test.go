package registry

import (
	"testing"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
)

func TestParseReference(t *testing.T) {
	const dgst = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		image, tag string
		want       string // normalised
		nameOnly   bool
		tagOrDgst  string
	}{
		{"busybox", "latest", "docker.io/library/busybox:latest", false, "latest"},
		{"docker.io/library/busybox", "1.36", "docker.io/library/busybox:1.36", false, "1.36"},
		{"busybox", "", "docker.io/library/busybox", true, ""},
		{"busybox:", "", "docker.io/library/busybox", true, ""}, // old "pull -a" clients
		{"user/app:old", "new", "docker.io/user/app:new", false, "new"},
		{"127.0.0.1:5000/x", "1", "127.0.0.1:5000/x:1", false, "1"},
		{"127.0.0.1:5000/x", dgst, "127.0.0.1:5000/x@" + dgst, false, dgst},
		{"127.0.0.1:5000/x:1@" + dgst, "", "127.0.0.1:5000/x:1@" + dgst, false, dgst},
		{"localhost/a/b/c", "v", "localhost/a/b/c:v", false, "v"},
	}
	for _, tc := range tests {
		got, err := ParseReference(tc.image, tc.tag)
		if err != nil {
			t.Errorf("%q %q: %v", tc.image, tc.tag, err)
			continue
		}
		if got.String() != tc.want || reference.IsNameOnly(got) != tc.nameOnly || TagOrDigest(got) != tc.tagOrDgst {
			t.Errorf("%q %q: got %s (name only %v, id %q), want %s", tc.image, tc.tag, got, reference.IsNameOnly(got), TagOrDigest(got), tc.want)
		}
	}
	for _, bad := range [][2]string{{"UPPER", "1"}, {"x", "bad tag!"}, {"", ""}} {
		if _, err := ParseReference(bad[0], bad[1]); !errdefs.IsInvalidArgument(err) {
			t.Errorf("%q %q: want an invalid-argument error, got %v", bad[0], bad[1], err)
		}
	}
}

func TestDockerHubNames(t *testing.T) {
	for in, want := range map[string]string{
		"docker.io":       "registry-1.docker.io",
		"index.docker.io": "registry-1.docker.io",
		"":                "registry-1.docker.io",
		"quay.io":         "quay.io",
		"127.0.0.1:5000":  "127.0.0.1:5000",
	} {
		if got := endpointHost(in); got != want {
			t.Errorf("endpointHost(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"https://index.docker.io/v1/": "registry-1.docker.io",
		"":                            "registry-1.docker.io",
		"127.0.0.1:5000":              "127.0.0.1:5000",
		"http://127.0.0.1:5000/v2/":   "127.0.0.1:5000",
	} {
		if got := serverHost(in); got != want {
			t.Errorf("serverHost(%q) = %q, want %q", in, got, want)
		}
	}
}
