package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
	"github.com/opencontainers/go-digest"
)

// pushThroughProxy loads a fixture image, pushes it to reg as repo:1 and
// removes it locally; it returns the reference through proxy and the
// image's layer blobs (base first).
func pushThroughProxy(t *testing.T, d *daemon, reg *testRegistry, proxy *faultProxy, repo string) (string, []digest.Digest) {
	t.Helper()
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{repo + "-src:1"}, Marker: repo})
	direct := reg.Host + "/" + repo + ":1"
	must(t, d.docker("tag", repo+"-src:1", direct))
	must(t, d.docker("push", direct))
	must(t, d.docker("rmi", direct, repo+"-src:1"))
	if ids := must(t, d.docker("images", "-aq")); strings.TrimSpace(ids) != "" {
		t.Fatalf("images left: %q", ids)
	}
	return proxy.Host + "/" + repo + ":1", reg.layerBlobs(t, repo, "1")
}

// checkNoPartialState fails t if berthd holds an image, a layer or a
// half-written download.
func checkNoPartialState(t *testing.T, d *daemon, when string) {
	t.Helper()
	if ids := must(t, d.docker("images", "-aq")); strings.TrimSpace(ids) != "" {
		t.Errorf("%s: images left: %q", when, ids)
	}
	if layers, _ := os.ReadDir(filepath.Join(d.DataRoot, "layers", "sha256")); len(layers) != 0 {
		t.Errorf("%s: %d layers left", when, len(layers))
	}
	if ingest, _ := os.ReadDir(filepath.Join(d.DataRoot, "image", "distribution", "ingest")); len(ingest) != 0 {
		t.Errorf("%s: %d partial downloads left in ingest/", when, len(ingest))
	}
}

// TestRegistryPullInterrupted: the registry's connection drops halfway
// through the last layer. The pull fails with a clear error and leaves no
// image, layer or partial download; a retry completes and does not fetch
// the layers that were complete again.
func TestRegistryPullInterrupted(t *testing.T) {
	reg := startRegistry(t, false)
	proxy := startFaultProxy(t, reg)
	d := startDaemon(t, "--max-download-attempts", "1") // no resume: the connection drop fails the pull
	ref, blobs := pushThroughProxy(t, d, reg, proxy, "cut")
	last := blobs[len(blobs)-1]
	proxy.Break(last, false)

	r := d.docker("pull", ref)
	if r.Code != 1 || !strings.Contains(r.Stderr, "unexpected EOF") {
		t.Errorf("interrupted pull: want exit 1 and unexpected EOF, got %s", r)
	}
	checkNoPartialState(t, d, "after the interrupted pull")

	proxy.Heal()
	out := must(t, d.docker("pull", ref))
	if !strings.Contains(out, "Status: Downloaded newer image for "+ref) {
		t.Errorf("retry:\n%s", out)
	}
	for _, b := range blobs[:len(blobs)-1] {
		if n := proxy.Gets(b); n != 1 {
			t.Errorf("blob %s fetched %d times over both pulls, want 1", b, n)
		}
	}
	if n := proxy.Gets(last); n != 2 {
		t.Errorf("the interrupted blob was fetched %d times, want 2", n)
	}
	must(t, d.docker("run", "--rm", "--network", "none", ref, "true"))
}

// TestRegistryPullResumes: a connection that drops halfway through a
// layer is resumed where it broke (a Range request) after Docker's
// "Retrying in 5 seconds", and the pull succeeds.
func TestRegistryPullResumes(t *testing.T) {
	reg := startRegistry(t, false)
	proxy := startFaultProxy(t, reg)
	d := startDaemon(t)
	ref, blobs := pushThroughProxy(t, d, reg, proxy, "resume")
	last := blobs[len(blobs)-1]
	proxy.BreakOnce(last)
	out := must(t, d.docker("pull", ref))
	id := last.Encoded()[:12]
	for _, line := range []string{id + ": Retrying in 5 seconds", id + ": Pull complete", "Status: Downloaded newer image for " + ref} {
		if countLines(out, line) != 1 {
			t.Errorf("pull output lacks %q:\n%s", line, out)
		}
	}
	size, err := os.Stat(reg.blobFile(last))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := proxy.Ranges(), fmt.Sprintf("bytes=%d-", size.Size()/2); len(got) != 1 || got[0] != want {
		t.Errorf("Range requests %q, want one %q", got, want)
	}
	if n := proxy.Gets(last); n != 2 {
		t.Errorf("the broken blob was requested %d times, want 2", n)
	}
	must(t, d.docker("run", "--rm", "--network", "none", ref, "true"))
}

// TestRegistryPullKilled: berthd is SIGKILLed while a layer downloads. On
// restart there is no half image, no layer and no partial download, and
// the pull then succeeds.
func TestRegistryPullKilled(t *testing.T) {
	reg := startRegistry(t, false)
	proxy := startFaultProxy(t, reg)
	d := startDaemon(t)
	ref, blobs := pushThroughProxy(t, d, reg, proxy, "killed")
	proxy.Break(blobs[len(blobs)-1], true)

	pulled := make(chan result, 1)
	go func() { pulled <- d.docker("pull", ref) }()
	select {
	case <-proxy.stalled:
	case r := <-pulled:
		t.Fatalf("pull ended before the stall: %s", r)
	case <-time.After(60 * time.Second):
		t.Fatal("the pull never reached the last layer")
	}
	d.kill()
	if r := <-pulled; r.Code == 0 {
		t.Errorf("pull survived SIGKILL of berthd: %s", r)
	}
	proxy.Heal()
	proxy.Release()
	d.start()
	checkNoPartialState(t, d, "after restart")
	if blobsLeft, _ := os.ReadDir(filepath.Join(d.DataRoot, "image", "distribution", "blobs", "sha256")); len(blobsLeft) != 0 {
		t.Errorf("after restart: %d downloaded blobs left that no image uses", len(blobsLeft))
	}
	out := must(t, d.docker("pull", ref))
	if !strings.Contains(out, "Status: Downloaded newer image for "+ref) {
		t.Errorf("pull after restart:\n%s", out)
	}
}

// TestRegistryErrors checks Docker's words for an unknown repository, an
// unknown tag, a registry that does not answer and a wrong password.
func TestRegistryErrors(t *testing.T) {
	reg := startRegistry(t, false)
	d := startDaemon(t)

	r := d.docker("pull", reg.Host+"/nope/x")
	want := "manifest for " + reg.Host + "/nope/x:latest not found: manifest unknown: manifest unknown"
	if r.Code != 1 || !strings.Contains(r.Stderr, want) {
		t.Errorf("unknown repository: want %q, got %s", want, r)
	}
	status, body := d.api(t, "POST", "/v1.47/images/create?fromImage="+reg.Host+"/nope/x&tag=latest")
	if status != 404 || !strings.Contains(body, want) {
		t.Errorf("unknown repository through the API: %d %s", status, body)
	}

	down := freeAddr(t, "127.0.0.1") // nothing listens there
	r = d.docker("pull", down+"/x")
	want = `Get "http://` + down + `/v2/": dial tcp ` + down + `: connect: connection refused`
	if r.Code != 1 || !strings.Contains(r.Stderr, want) {
		t.Errorf("registry down: want %q, got %s", want, r)
	}
	status, body = d.api(t, "POST", "/v1.47/images/create?fromImage="+down+"/x&tag=latest")
	if status != 500 || !strings.Contains(body, "connection refused") {
		t.Errorf("registry down through the API: %d %s", status, body)
	}

	private := startRegistry(t, true)
	env := []string{"DOCKER_CONFIG=" + t.TempDir()}
	creds := `{"auths":{"` + private.Host + `":{"auth":"` + basicAuth(private.User, "wrong") + `"}}}`
	if err := os.WriteFile(filepath.Join(strings.TrimPrefix(env[0], "DOCKER_CONFIG="), "config.json"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "docker", d.Host, nil, env, "pull", private.Host+"/x:1")
	want = "Error response from daemon: unauthorized: authentication required"
	if r.Code != 1 || strings.TrimSpace(r.Stderr) != want {
		t.Errorf("pull with a wrong password: want %q, got %s", want, r)
	}
	status, body = apiWithRegistryAuth(t, d, "POST", "/v1.47/images/create?fromImage="+private.Host+"/x&tag=1", private.User, "wrong")
	if status != 500 || body != `{"message":"unauthorized: authentication required"}`+"\n" {
		t.Errorf("pull with a wrong password through the API: %d %q", status, body)
	}
}

// TestRegistryConcurrencyLimits: max-concurrent-downloads and -uploads
// bound the blob transfers one pull or push runs at once.
func TestRegistryConcurrencyLimits(t *testing.T) {
	reg := startRegistry(t, false)
	proxy := startFaultProxy(t, reg)
	d := startDaemon(t, "--max-concurrent-downloads", "1", "--max-concurrent-uploads", "1")
	ref, blobs := pushThroughProxy(t, d, reg, proxy, "limits")
	out := must(t, d.docker("pull", ref))
	if n := proxy.MaxInFlight(); n != 1 {
		t.Errorf("%d blob downloads at once, want 1", n)
	}
	if layerLines(out, "Download complete") != len(blobs) {
		t.Errorf("pull:\n%s", out)
	}
	// Mounts from the pulled repository are upload requests too.
	must(t, d.docker("tag", ref, proxy.Host+"/limits-copy:1"))
	out = must(t, d.docker("push", proxy.Host+"/limits-copy:1"))
	if n := proxy.MaxUploads(); n != 1 || layerLines(out, "Mounted from limits") != len(blobs) {
		t.Errorf("%d blob uploads at once, want 1; push:\n%s", n, out)
	}
	empty := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(empty, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	msg, err := exec.Command(filepath.Join(binDir, "berthd"), "--max-concurrent-downloads", "-1", "--data-root", t.TempDir(),
		"--config-file", empty).CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "invalid max concurrent downloads: -1") {
		t.Errorf("berthd with a negative limit: %v\n%s", err, msg)
	}
}

// basicAuth is the "auth" of a config.json entry: base64 of user:password.
func basicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// apiWithRegistryAuth calls berthd's API with credentials in X-Registry-Auth.
func apiWithRegistryAuth(t *testing.T, d *daemon, method, path, user, password string) (int, string) {
	t.Helper()
	js, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req, err := http.NewRequest(method, "http://berthd"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Registry-Auth", base64.URLEncoding.EncodeToString(js))
	resp, err := unixClient(d.Socket).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
