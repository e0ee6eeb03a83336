package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
	"github.com/opencontainers/go-digest"
	"golang.org/x/crypto/bcrypt"
)

// registryBinary is Debian's docker-registry (CNCF distribution).
const registryBinary = "/usr/bin/docker-registry"

// testRegistry is a docker-registry serving on 127.0.0.1 from a temp dir.
type testRegistry struct {
	Host     string // 127.0.0.1:PORT
	Storage  string // the filesystem storage root
	User     string // with basic auth, else ""
	Password string
}

// startRegistry starts docker-registry on a free port of 127.0.0.1, with
// htpasswd basic auth when withAuth, and stops it when t ends.
func startRegistry(t testing.TB, withAuth bool) *testRegistry {
	t.Helper()
	return startRegistryWith(t, registryOptions{BasicAuth: withAuth})
}

// registryOptions vary a test registry.
type registryOptions struct {
	BasicAuth bool   // htpasswd with User/Password
	Addr      string // listen address; default a free port of 127.0.0.1
	// TLS serves HTTPS with this certificate and key; with ClientCAs, a
	// client certificate signed by it is required.
	TLSCert, TLSKey, ClientCAs string
	Extra                      string // more YAML of the config (auth: token:)
}

// startRegistryWith starts docker-registry as opts say and stops it when t
// ends.
func startRegistryWith(t testing.TB, opts registryOptions) *testRegistry {
	t.Helper()
	if _, err := os.Stat(registryBinary); err != nil {
		t.Skipf("%s not installed (apt-get install docker-registry): %v", registryBinary, err)
	}
	dir := t.TempDir()
	host := opts.Addr
	if host == "" {
		host = freeAddr(t, "127.0.0.1")
	}
	r := &testRegistry{Host: host, Storage: filepath.Join(dir, "data")}
	config := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"+
		"storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", r.Storage, host)
	if opts.TLSCert != "" {
		config += fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", opts.TLSCert, opts.TLSKey)
		if opts.ClientCAs != "" {
			config += fmt.Sprintf("    clientcas:\n      - %s\n", opts.ClientCAs)
		}
	}
	if opts.BasicAuth {
		r.User, r.Password = "berth", "s3cret-pass"
		hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(r.User+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		config += fmt.Sprintf("auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n", htpasswd)
	}
	config += opts.Extra
	configPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(registryBinary, "serve", configPath)
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		// Any answer will do: the registry is up (TLS and auth aside).
		conn, err := net.DialTimeout("tcp", host, time.Second)
		if err == nil {
			conn.Close()
			return r
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			t.Fatalf("docker-registry did not come up on %s: %v\n%s", host, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freeAddr is a free TCP address on ip.
func freeAddr(t testing.TB, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var pushDigest = regexp.MustCompile(`(?m)^(\S+): digest: (sha256:[0-9a-f]{64}) size: (\d+)$`)

// pushedDigest returns the manifest digest a push printed for tag.
func pushedDigest(t *testing.T, out, tag string) digest.Digest {
	t.Helper()
	for _, m := range pushDigest.FindAllStringSubmatch(out, -1) {
		if m[1] == tag {
			return digest.Digest(m[2])
		}
	}
	t.Fatalf("no digest line for %s in push output:\n%s", tag, out)
	return ""
}

// pushedSize returns the manifest size a push printed for tag.
func pushedSize(t *testing.T, out, tag string) int {
	t.Helper()
	for _, m := range pushDigest.FindAllStringSubmatch(out, -1) {
		if m[1] == tag {
			var n int
			fmt.Sscan(m[3], &n)
			return n
		}
	}
	t.Fatalf("no digest line for %s in push output:\n%s", tag, out)
	return 0
}

// putManifest uploads a manifest (or list) as repo:tag.
func (r *testRegistry) putManifest(t *testing.T, repo, tag, mediaType, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, "http://"+r.Host+"/v2/"+repo+"/manifests/"+tag, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT manifest %s:%s: %s %s", repo, tag, resp.Status, b)
	}
}

// countLines counts the lines of out equal to line.
func countLines(out, line string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == line {
			n++
		}
	}
	return n
}

// layerLine is a per-layer progress line: "<12 hex digits>: status".
var layerLine = regexp.MustCompile(`^[0-9a-f]{12}: (.*)$`)

// layerLines counts the per-layer lines of out with the given status.
func layerLines(out, status string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if m := layerLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil && m[1] == status {
			n++
		}
	}
	return n
}

// inspectImage returns the image inspect object of name.
func inspectImage(t *testing.T, d *daemon, name string) map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(must(t, d.docker("image", "inspect", name))), &out); err != nil || len(out) != 1 {
		t.Fatalf("inspect %s: %v", name, err)
	}
	return out[0]
}

func TestRegistryPushPullRoundTrip(t *testing.T) {
	reg := startRegistry(t, false)
	d := startDaemon(t)
	img := loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"reg-src:1"}, Marker: "registry"})
	ref := reg.Host + "/x:1"
	start := time.Now().Add(-time.Second)
	must(t, d.docker("tag", "reg-src:1", ref))

	out := must(t, d.docker("push", ref))
	if !strings.Contains(out, "The push refers to repository ["+reg.Host+"/x]") {
		t.Errorf("push output lacks the repository line:\n%s", out)
	}
	for _, id := range img.DiffIDs {
		if !strings.Contains(out, id.Encoded()[:12]+": Pushed") {
			t.Errorf("push output lacks %s: Pushed:\n%s", id.Encoded()[:12], out)
		}
	}
	pushed := pushedDigest(t, out, "1")

	must(t, d.docker("rmi", ref, "reg-src:1"))
	if ids := must(t, d.docker("images", "-q")); strings.TrimSpace(ids) != "" {
		t.Fatalf("images left after rmi: %q", ids)
	}

	out = must(t, d.docker("pull", ref))
	for _, line := range []string{"1: Pulling from x", "Digest: " + pushed.String(), "Status: Downloaded newer image for " + ref, ref} {
		if countLines(out, line) != 1 {
			t.Errorf("pull output lacks %q:\n%s", line, out)
		}
	}
	for _, status := range []string{"Pulling fs layer", "Verifying Checksum", "Download complete", "Pull complete"} {
		if n := layerLines(out, status); n != len(img.DiffIDs) {
			t.Errorf("pull output has %d %q lines, want %d:\n%s", n, status, len(img.DiffIDs), out)
		}
	}
	got := inspectImage(t, d, ref)
	if got["Id"] != img.ID.String() {
		t.Errorf("pulled image ID %v, want %s", got["Id"], img.ID)
	}
	if digests := fmt.Sprint(got["RepoDigests"]); !strings.Contains(digests, reg.Host+"/x@"+pushed.String()) {
		t.Errorf("RepoDigests %s lack the pushed digest %s", digests, pushed)
	}
	listed := must(t, d.docker("images", "--digests", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}", reg.Host+"/x"))
	if strings.TrimSpace(listed) != ref+" "+pushed.String() {
		t.Errorf("images --digests: %q, want %q", listed, ref+" "+pushed.String())
	}

	out = must(t, d.docker("pull", ref))
	if countLines(out, "Status: Image is up to date for "+ref) != 1 || layerLines(out, "Already exists") != len(img.DiffIDs) {
		t.Errorf("second pull:\n%s", out)
	}
	out = must(t, d.docker("pull", reg.Host+"/x@"+pushed.String()))
	if !strings.Contains(out, "Status: Image is up to date for "+reg.Host+"/x@"+pushed.String()) {
		t.Errorf("pull by digest:\n%s", out)
	}

	out = must(t, d.docker("push", ref))
	if n := layerLines(out, "Layer already exists"); n != len(img.DiffIDs) {
		t.Errorf("second push has %d 'Layer already exists', want %d:\n%s", n, len(img.DiffIDs), out)
	}
	if again := pushedDigest(t, out, "1"); again != pushed {
		t.Errorf("second push digest %s, want %s", again, pushed)
	}

	must(t, d.docker("tag", ref, reg.Host+"/y:2"))
	out = must(t, d.docker("push", reg.Host+"/y:2"))
	if n := layerLines(out, "Mounted from x"); n != len(img.DiffIDs) {
		t.Errorf("push to another repository has %d 'Mounted from x', want %d:\n%s", n, len(img.DiffIDs), out)
	}
	if other := pushedDigest(t, out, "2"); other != pushed {
		t.Errorf("push to y: digest %s, want %s", other, pushed)
	}

	// A manifest list: the host's entry is pulled, and the list's digest
	// is what the reference resolved to.
	list := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[`+
		`{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"%[1]s","size":%[2]d,"platform":{"architecture":"s390x","os":"linux"}},`+
		`{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"%[1]s","size":%[2]d,"platform":{"architecture":"amd64","os":"linux"}}]}`,
		pushed, pushedSize(t, out, "2"))
	reg.putManifest(t, "x", "multi", "application/vnd.docker.distribution.manifest.list.v2+json", list)
	out = must(t, d.docker("pull", reg.Host+"/x:multi"))
	if !strings.Contains(out, "Digest: "+digest.FromString(list).String()) || !strings.Contains(out, "Status: Downloaded newer image for "+reg.Host+"/x:multi") {
		t.Errorf("pull of a manifest list:\n%s", out)
	}
	if got := inspectImage(t, d, reg.Host+"/x:multi"); got["Id"] != img.ID.String() || !strings.Contains(fmt.Sprint(got["RepoDigests"]), "x@"+digest.FromString(list).String()) {
		t.Errorf("image of the manifest list: Id %v RepoDigests %v", got["Id"], got["RepoDigests"])
	}
	r := d.docker("pull", "--platform", "linux/arm64", reg.Host+"/x:multi")
	if r.Code != 1 || !strings.Contains(r.Stderr, "no matching manifest for linux/arm64 in the manifest list entries") {
		t.Errorf("pull of a platform the list lacks: %s", r)
	}
	out = must(t, d.docker("pull", "-a", reg.Host+"/x"))
	if countLines(out, "1: Pulling from x") != 1 || countLines(out, "multi: Pulling from x") != 1 || countLines(out, "Status: Image is up to date for "+reg.Host+"/x") != 1 {
		t.Errorf("pull -a:\n%s", out)
	}

	r = d.docker("pull", reg.Host+"/x:nope")
	want := "manifest for " + reg.Host + "/x:nope not found: manifest unknown: manifest unknown"
	if r.Code != 1 || !strings.Contains(r.Stderr, want) {
		t.Errorf("pull of an unknown tag: want exit 1 and %q, got %s", want, r)
	}
	r = d.docker("push", reg.Host+"/nothing:1")
	if r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "An image does not exist locally with the tag: "+reg.Host+"/nothing") {
		t.Errorf("push of a missing image: %s", r)
	}

	events := must(t, d.docker("events", "--since", fmt.Sprint(start.Unix()), "--until", fmt.Sprint(time.Now().Add(time.Second).Unix()),
		"--filter", "type=image", "--format", "{{.Action}} {{.Actor.ID}}"))
	for _, e := range []string{"push " + ref, "pull " + ref} {
		if !strings.Contains(events, e) {
			t.Errorf("events lack %q:\n%s", e, events)
		}
	}
}

// layerBlobs returns the layer digests of the manifest of repo:tag.
func (r *testRegistry) layerBlobs(t *testing.T, repo, tag string) []digest.Digest {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+r.Host+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		Layers []struct{ Digest digest.Digest }
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	var out []digest.Digest
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// blobFile is where the registry stores blob d.
func (r *testRegistry) blobFile(d digest.Digest) string {
	return filepath.Join(r.Storage, "docker/registry/v2/blobs/sha256", d.Encoded()[:2], d.Encoded(), "data")
}

// TestRegistryPullBadBlob pulls an image whose registry serves a layer
// that does not match its digest (changed, then truncated): the pull
// fails with Docker's message and leaves neither image nor layers.
func TestRegistryPullBadBlob(t *testing.T) {
	reg := startRegistry(t, false)
	d := startDaemon(t)
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"reg-bad:1"}, Marker: "bad"})
	ref := reg.Host + "/bad:1"
	must(t, d.docker("tag", "reg-bad:1", ref))
	must(t, d.docker("push", ref))
	must(t, d.docker("rmi", ref, "reg-bad:1"))
	blobs := reg.layerBlobs(t, "bad", "1")
	for _, damage := range []string{"changed", "truncated"} {
		path := reg.blobFile(blobs[len(blobs)-1])
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if damage == "changed" {
			b[len(b)/2] ^= 0xff
		} else {
			b = b[:len(b)/2]
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r := d.docker("pull", ref)
		want := "filesystem layer verification failed for digest " + blobs[len(blobs)-1].String()
		if r.Code != 1 || !strings.Contains(r.Stderr, want) {
			t.Errorf("%s blob: want exit 1 and %q, got %s", damage, want, r)
		}
		if ids := must(t, d.docker("images", "-aq")); strings.TrimSpace(ids) != "" {
			t.Errorf("%s blob: images left: %q", damage, ids)
		}
		if layers, _ := os.ReadDir(filepath.Join(d.DataRoot, "layers", "sha256")); len(layers) != 0 {
			t.Errorf("%s blob: %d layers left", damage, len(layers))
		}
	}
}

func TestRegistryBerthCLI(t *testing.T) {
	reg := startRegistry(t, false)
	d := startDaemon(t)
	img := loadFixture(t, d, "berth", fixture.Options{RepoTags: []string{"reg-berth:1"}, Marker: "berth-cli"})
	ref := reg.Host + "/b:1"
	must(t, d.berth("tag", "reg-berth:1", ref))
	out := must(t, d.berth("push", ref))
	pushed := pushedDigest(t, out, "1")
	must(t, d.berth("rmi", ref, "reg-berth:1"))
	if out := must(t, d.berth("pull", "-q", ref)); strings.TrimSpace(out) != ref {
		t.Errorf("pull -q printed %q, want %q", out, ref)
	}
	if got := inspectImage(t, d, ref); got["Id"] != img.ID.String() || !strings.Contains(fmt.Sprint(got["RepoDigests"]), pushed.String()) {
		t.Errorf("after berth pull: Id %v RepoDigests %v", got["Id"], got["RepoDigests"])
	}
	if out := must(t, d.berth("pull", "--platform", "linux/amd64", ref)); !strings.Contains(out, "Status: Image is up to date for "+ref) {
		t.Errorf("second berth pull:\n%s", out)
	}
	must(t, d.berth("tag", ref, reg.Host+"/b:2"))
	out = must(t, d.berth("push", "-a", reg.Host+"/b"))
	if pushedDigest(t, out, "1") != pushed || pushedDigest(t, out, "2") != pushed {
		t.Errorf("push -a:\n%s", out)
	}
	r := d.berth("pull", reg.Host+"/b:nope")
	if r.Code != 1 || !strings.Contains(r.Stderr, "manifest unknown") {
		t.Errorf("berth pull of an unknown tag: %s", r)
	}
}

func TestRegistryRunPullsImplicitly(t *testing.T) {
	reg := startRegistry(t, false)
	d := startDaemon(t)
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"reg-run:1"}, Marker: "run"})
	ref := reg.Host + "/runme:1"
	must(t, d.docker("tag", "reg-run:1", ref))
	must(t, d.docker("push", ref))
	must(t, d.docker("rmi", ref, "reg-run:1"))
	r := d.docker("run", "--rm", ref, "echo", "hi")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "hi" {
		t.Fatalf("run with an implicit pull: %s", r)
	}
	if !strings.Contains(r.Stderr, "Unable to find image '"+ref+"' locally") || !strings.Contains(r.Stderr, "Status: Downloaded newer image for "+ref) {
		t.Errorf("run's pull messages:\n%s", r.Stderr)
	}
}

func TestRegistryLoginAndAuth(t *testing.T) {
	reg := startRegistry(t, true)
	d := startDaemon(t)
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"reg-auth:1"}, Marker: "auth"})
	ref := reg.Host + "/private:1"
	must(t, d.docker("tag", "reg-auth:1", ref))
	anonymous := []string{"DOCKER_CONFIG=" + t.TempDir()}
	loggedIn := []string{"DOCKER_CONFIG=" + t.TempDir()}
	docker := func(env []string, stdin string, args ...string) result {
		var in []byte
		if stdin != "" {
			in = []byte(stdin)
		}
		return runCLI(t, "docker", d.Host, in, env, args...)
	}

	r := docker(loggedIn, "", "login", reg.Host, "-u", reg.User, "-p", "wrong")
	if r.Code != 1 || !strings.Contains(r.Stderr, "401 Unauthorized") {
		t.Errorf("login with a wrong password: %s", r)
	}
	r = docker(loggedIn, reg.Password+"\n", "login", reg.Host, "-u", reg.User, "--password-stdin")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Login Succeeded") {
		t.Fatalf("login: %s", r)
	}

	r = docker(anonymous, "", "push", ref)
	if r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "no basic auth credentials") {
		t.Errorf("push without credentials: %s", r)
	}
	out := must(t, docker(loggedIn, "", "push", ref))
	pushed := pushedDigest(t, out, "1")
	must(t, d.docker("rmi", ref))

	r = docker(anonymous, "", "pull", ref)
	if r.Code != 1 || !strings.Contains(r.Stderr, "no basic auth credentials") {
		t.Errorf("pull without credentials: %s", r)
	}
	out = must(t, docker(loggedIn, "", "pull", ref))
	if !strings.Contains(out, "Digest: "+pushed.String()) {
		t.Errorf("pull with credentials:\n%s", out)
	}

	// berth's login writes the same config file, and its push uses it.
	berthEnv := []string{"DOCKER_CONFIG=" + t.TempDir()}
	berth := filepath.Join(binDir, "berth")
	r = runCLI(t, berth, d.Host, []byte("wrong\n"), berthEnv, "login", reg.Host, "-u", reg.User, "--password-stdin")
	if r.Code != 1 || !strings.Contains(r.Stderr, "401 Unauthorized") {
		t.Errorf("berth login with a wrong password: %s", r)
	}
	r = runCLI(t, berth, d.Host, []byte(reg.Password+"\n"), berthEnv, "login", reg.Host, "-u", reg.User, "--password-stdin")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "Login Succeeded" {
		t.Fatalf("berth login: %s", r)
	}
	cfg, err := os.ReadFile(filepath.Join(strings.TrimPrefix(berthEnv[0], "DOCKER_CONFIG="), "config.json"))
	if err != nil || !strings.Contains(string(cfg), `"`+reg.Host+`"`) {
		t.Errorf("config.json after berth login: %s %v", cfg, err)
	}
	must(t, d.docker("tag", ref, reg.Host+"/private:2"))
	if out := must(t, runCLI(t, berth, d.Host, nil, berthEnv, "push", reg.Host+"/private:2")); !strings.Contains(out, "2: digest: "+pushed.String()) {
		t.Errorf("berth push with credentials:\n%s", out)
	}
	if out := must(t, runCLI(t, berth, d.Host, nil, berthEnv, "logout", reg.Host)); !strings.Contains(out, "Removing login credentials for "+reg.Host) {
		t.Errorf("berth logout: %q", out)
	}
	r = runCLI(t, berth, d.Host, nil, berthEnv, "push", reg.Host+"/private:2")
	if r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "no basic auth credentials") {
		t.Errorf("berth push after logout: %s", r)
	}
}

// BenchmarkPull measures `docker pull` of a ~100 MB four-layer image of
// incompressible data from a local docker-registry, per engine (berthd,
// and Debian's dockerd when installed), removing the image between
// iterations. berthd pushes the image there first; that push is reported
// too (push-ms).
func BenchmarkPull(b *testing.B) {
	reg := startRegistry(b, false)
	img := fixture.LargeImage(b, 4, 100)
	path := filepath.Join(b.TempDir(), "large.tar")
	if err := os.WriteFile(path, img.DockerArchive(b), 0o644); err != nil {
		b.Fatal(err)
	}
	hosts := engines(b)
	ref := reg.Host + "/large:1"
	berthd := func(args ...string) string { return must(b, runCLI(b, "docker", hosts["berthd"], nil, nil, args...)) }
	berthd("load", "-q", "-i", path)
	berthd("tag", img.Options.RepoTags[0], ref)
	start := time.Now()
	berthd("push", ref)
	pushed := time.Since(start)
	berthd("rmi", ref, img.Options.RepoTags[0])
	for name, host := range hosts {
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				start := time.Now()
				r := runCLI(b, "docker", host, nil, nil, "pull", "-q", ref)
				total += time.Since(start)
				if r.Code != 0 {
					b.Fatalf("pull: %s", r)
				}
				b.StopTimer()
				must(b, runCLI(b, "docker", host, nil, nil, "rmi", ref))
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/pull")
			if name == "berthd" {
				b.ReportMetric(float64(pushed.Milliseconds()), "push-ms")
			}
			b.SetBytes(int64(100 << 20))
		})
	}
}

// BenchmarkPush measures `docker push` of the same ~100 MB four-layer
// image, loaded from an archive, to a new local docker-registry each
// iteration, per engine. berthd compresses a layer once and keeps the
// blob, so its first push is its slowest (first-push-ms).
func BenchmarkPush(b *testing.B) {
	img := fixture.LargeImage(b, 4, 100)
	path := filepath.Join(b.TempDir(), "large.tar")
	if err := os.WriteFile(path, img.DockerArchive(b), 0o644); err != nil {
		b.Fatal(err)
	}
	for name, host := range engines(b) {
		b.Run(name, func(b *testing.B) {
			must(b, runCLI(b, "docker", host, nil, nil, "load", "-q", "-i", path))
			var total, first time.Duration
			for i := range b.N {
				b.StopTimer()
				ref := startRegistry(b, false).Host + "/large:1"
				must(b, runCLI(b, "docker", host, nil, nil, "tag", img.Options.RepoTags[0], ref))
				b.StartTimer()
				start := time.Now()
				r := runCLI(b, "docker", host, nil, nil, "push", ref)
				elapsed := time.Since(start)
				if r.Code != 0 {
					b.Fatalf("push: %s", r)
				}
				total += elapsed
				if i == 0 {
					first = elapsed
				}
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/push")
			b.ReportMetric(float64(first.Milliseconds()), "first-push-ms")
			b.SetBytes(int64(100 << 20))
		})
	}
}

func TestDistributionInspect(t *testing.T) {
	reg := startRegistry(t, false)
	d := startDaemon(t)
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"dist-src:1"}, Marker: "dist"})
	ref := reg.Host + "/dist:1"
	must(t, d.docker("tag", "dist-src:1", ref))
	pushed := pushedDigest(t, must(t, d.docker("push", ref)), "1")

	status, body := d.api(t, "GET", "/v1.47/distribution/"+ref+"/json")
	if status != 200 {
		t.Fatalf("distribution inspect: %d %s", status, body)
	}
	var resp struct {
		Descriptor struct {
			MediaType string
			Digest    string
			Size      int64
		}
		Platforms []struct{ Architecture, OS string }
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if resp.Descriptor.Digest != pushed.String() || resp.Descriptor.Size <= 0 || resp.Descriptor.MediaType == "" {
		t.Errorf("descriptor: %+v, pushed %s", resp.Descriptor, pushed)
	}
	if len(resp.Platforms) != 1 || resp.Platforms[0].OS != "linux" || resp.Platforms[0].Architecture != "amd64" {
		t.Errorf("platforms: %+v", resp.Platforms)
	}
	if status, body := d.api(t, "GET", "/distribution/"+reg.Host+"/dist:nope/json"); status != 404 || !strings.Contains(body, "manifest unknown") {
		t.Errorf("unknown tag: %d %s", status, body)
	}
}
