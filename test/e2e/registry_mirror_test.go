package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berth/berth/test/fixture"
)

// TestRegistryMirror: pulls of Docker Hub images go to the registry
// mirrors first, in order; a mirror that fails (down, or lacking the
// image) is skipped, up to Docker Hub itself.
func TestRegistryMirror(t *testing.T) {
	mirror := startRegistry(t, false)
	dead := freeAddr(t, "127.0.0.1") // nothing listens there
	var broken atomic.Int32          // a mirror that answers 503 to everything
	brokenMirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		broken.Add(1)
		http.Error(w, "mirror down", http.StatusServiceUnavailable)
	}))
	defer brokenMirror.Close()
	d := startDaemon(t, "--registry-mirror", "http://"+dead, "--registry-mirror", brokenMirror.URL, "--registry-mirror", "http://"+mirror.Host)
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"mirror-src:1"}, Marker: "mirror"})
	// What the mirror holds is Docker Hub's library/mirrored.
	must(t, d.docker("tag", "mirror-src:1", mirror.Host+"/library/mirrored:1"))
	pushed := pushedDigest(t, must(t, d.docker("push", mirror.Host+"/library/mirrored:1")), "1")
	must(t, d.docker("rmi", mirror.Host+"/library/mirrored:1", "mirror-src:1"))

	out := must(t, d.docker("pull", "mirrored:1"))
	if !strings.Contains(out, "Digest: "+pushed.String()) || !strings.Contains(out, "Status: Downloaded newer image for mirrored:1") {
		t.Errorf("pull through the mirror:\n%s", out)
	}
	if got := inspectImage(t, d, "mirrored:1"); !strings.Contains(strings.Join(anyStrings(got["RepoDigests"]), " "), "mirrored@"+pushed.String()) {
		t.Errorf("RepoDigests after a mirrored pull: %v", got["RepoDigests"])
	}
	if broken.Load() == 0 {
		t.Error("the failing mirror was not tried before the working one")
	}

	// Neither mirror has this tag: Docker Hub is asked last (unreachable
	// from the test machine, or without the image).
	r := d.docker("pull", "mirrored:absent")
	if r.Code != 1 || !(strings.Contains(r.Stderr, "registry-1.docker.io") || strings.Contains(r.Stderr, "pull access denied for mirrored")) {
		t.Errorf("pull of a tag no mirror has: %s", r)
	}

	// Mirrors are for Docker Hub only.
	before := broken.Load()
	if r := d.docker("pull", mirror.Host+"/library/mirrored:absent"); r.Code != 1 || !strings.Contains(r.Stderr, "manifest unknown") {
		t.Errorf("pull from the mirror's own name: %s", r)
	}
	if broken.Load() != before {
		t.Error("a pull from another registry went to a mirror")
	}
}

// anyStrings reads a JSON array of strings.
func anyStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
