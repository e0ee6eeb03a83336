package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berth/berth/test/fixture"
	"github.com/opencontainers/go-digest"
)

const foreignLayerType = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

// rawManifest GETs the schema2 manifest of repo:ref.
func (r *testRegistry) rawManifest(t *testing.T, repo, ref string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+r.Host+"/v2/"+repo+"/manifests/"+ref, nil)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET manifest %s:%s: %s %s", repo, ref, resp.Status, b)
	}
	return b
}

// hasBlob asks whether repo has blob d.
func (r *testRegistry) hasBlob(t *testing.T, repo string, d digest.Digest) bool {
	t.Helper()
	resp, err := http.Head("http://" + r.Host + "/v2/" + repo + "/blobs/" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// mount links blob d of repository from into repo.
func (r *testRegistry) mount(t *testing.T, repo, from string, d digest.Digest) {
	t.Helper()
	resp, err := http.Post("http://"+r.Host+"/v2/"+repo+"/blobs/uploads/?mount="+d.String()+"&from="+from, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("mount %s into %s: %s", d, repo, resp.Status)
	}
}

type schema2 struct {
	SchemaVersion int                 `json:"schemaVersion"`
	MediaType     string              `json:"mediaType"`
	Config        schema2Descriptor   `json:"config"`
	Layers        []schema2Descriptor `json:"layers"`
}

type schema2Descriptor struct {
	MediaType string        `json:"mediaType"`
	Size      int64         `json:"size"`
	Digest    digest.Digest `json:"digest"`
	URLs      []string      `json:"urls,omitempty"`
}

// TestRegistryForeignLayers: a non-distributable layer is pulled from its
// URL (the registry does not have it), is not pushed ("Skipped foreign
// layer", its URL kept in the manifest), and is pushed as an ordinary
// layer to a registry in allow-nondistributable-artifacts.
func TestRegistryForeignLayers(t *testing.T) {
	// distribution refuses manifests naming layer URLs unless allowed.
	urlsAllowed := registryOptions{Extra: "validation:\n  manifests:\n    urls:\n      allow:\n        - ^https?://\n"}
	reg := startRegistryWith(t, urlsAllowed)
	allowed := startRegistryWith(t, urlsAllowed)
	d := startDaemon(t, "--allow-nondistributable-artifacts", allowed.Host)
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"foreign-src:1"}, Marker: "foreign"})
	must(t, d.docker("tag", "foreign-src:1", reg.Host+"/src:1"))
	must(t, d.docker("push", reg.Host+"/src:1"))
	must(t, d.docker("rmi", reg.Host+"/src:1", "foreign-src:1"))

	// The image again, as "foreign:1", its top layer foreign: served by an
	// HTTP server, not linked into the repository.
	var m schema2
	if err := json.Unmarshal(reg.rawManifest(t, "src", "1"), &m); err != nil {
		t.Fatal(err)
	}
	top := &m.Layers[len(m.Layers)-1]
	blob, err := os.ReadFile(reg.blobFile(top.Digest))
	if err != nil {
		t.Fatal(err)
	}
	var served atomic.Int32
	urls := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		_, _ = w.Write(blob)
	}))
	defer urls.Close()
	top.MediaType, top.URLs = foreignLayerType, []string{urls.URL + "/layer.tar.gz"}
	reg.mount(t, "foreign", "src", m.Config.Digest)
	for _, l := range m.Layers[:len(m.Layers)-1] {
		reg.mount(t, "foreign", "src", l.Digest)
	}
	raw, _ := json.Marshal(m)
	reg.putManifest(t, "foreign", "1", m.MediaType, string(raw))
	if reg.hasBlob(t, "foreign", top.Digest) {
		t.Fatal("the registry has the foreign layer")
	}

	ref := reg.Host + "/foreign:1"
	must(t, d.docker("pull", ref))
	if served.Load() != 1 {
		t.Errorf("the foreign layer was fetched from its URL %d times, want 1", served.Load())
	}
	if out := must(t, d.docker("run", "--rm", "--network", "none", ref, "cat", "/app/marker")); strings.TrimSpace(out) != "foreign" {
		t.Errorf("container of the pulled image: %q", out)
	}

	// Not pushed by default: the manifest still names the URL.
	must(t, d.docker("tag", ref, reg.Host+"/copy:1"))
	out := must(t, d.docker("push", reg.Host+"/copy:1"))
	if layerLines(out, "Skipped foreign layer") != 1 {
		t.Errorf("push with a foreign layer:\n%s", out)
	}
	if reg.hasBlob(t, "copy", top.Digest) {
		t.Error("the foreign layer was pushed")
	}
	var copied schema2
	_ = json.Unmarshal(reg.rawManifest(t, "copy", "1"), &copied)
	if got := copied.Layers[len(copied.Layers)-1]; got.MediaType != foreignLayerType || len(got.URLs) != 1 {
		t.Errorf("pushed manifest's foreign layer: %+v", got)
	}

	// Pushed, as an ordinary layer, where allowed.
	must(t, d.docker("tag", ref, allowed.Host+"/copy:1"))
	out = must(t, d.docker("push", allowed.Host+"/copy:1"))
	if layerLines(out, "Skipped foreign layer") != 0 || !allowed.hasBlob(t, "copy", top.Digest) {
		t.Errorf("push to a registry allowing non-distributable layers:\n%s", out)
	}
	var there schema2
	_ = json.Unmarshal(allowed.rawManifest(t, "copy", "1"), &there)
	if got := there.Layers[len(there.Layers)-1]; got.MediaType != "application/vnd.docker.image.rootfs.diff.tar.gzip" || len(got.URLs) != 0 || got.Digest != top.Digest {
		t.Errorf("manifest pushed where allowed: %+v", got)
	}
}
