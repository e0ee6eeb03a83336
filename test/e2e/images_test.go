package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
	"github.com/ulikunitz/xz"
)

// loadFixture loads a busybox fixture image tagged tag through the named CLI
// and returns the fixture.
func loadFixture(t *testing.T, d *daemon, c string, opts fixture.Options) *fixture.Image {
	t.Helper()
	img := fixture.Build(t, opts)
	path := filepath.Join(t.TempDir(), "img.tar")
	if err := os.WriteFile(path, img.DockerArchive(t), 0o644); err != nil {
		t.Fatal(err)
	}
	out := must(t, d.cli(c, "load", "-i", path))
	for _, tag := range opts.RepoTags {
		if !strings.Contains(out, "Loaded image: "+tag) {
			t.Fatalf("%s load output lacks %q:\n%s", c, tag, out)
		}
	}
	return img
}

func TestImageLifecycle(t *testing.T) {
	d := startDaemon(t)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			repo := "life-" + c
			img := loadFixture(t, d, c, fixture.Options{RepoTags: []string{repo + ":1"}, Marker: c, Labels: map[string]string{"team": "berth"}})

			ls := must(t, d.cli(c, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", repo))
			if strings.TrimSpace(ls) != repo+":1 "+img.ID.Encoded()[:12] {
				t.Errorf("images: %q", ls)
			}

			var inspect []map[string]any
			if err := json.Unmarshal([]byte(must(t, d.cli(c, "image", "inspect", repo+":1"))), &inspect); err != nil {
				t.Fatal(err)
			}
			got := inspect[0]
			if got["Id"] != img.ID.String() || got["Os"] != "linux" || got["Architecture"] != "amd64" {
				t.Errorf("inspect identity: %v", got)
			}
			if tags := got["RepoTags"].([]any); len(tags) != 1 || tags[0] != repo+":1" {
				t.Errorf("RepoTags: %v", tags)
			}
			layers := got["RootFS"].(map[string]any)["Layers"].([]any)
			if len(layers) != len(img.DiffIDs) || layers[0] != img.DiffIDs[0].String() {
				t.Errorf("RootFS.Layers: %v", layers)
			}
			cfg := got["Config"].(map[string]any)
			if cfg["WorkingDir"] != "/app" || cfg["Labels"].(map[string]any)["team"] != "berth" {
				t.Errorf("Config: %v", cfg)
			}
			if size := got["Size"].(float64); size < 1_000_000 {
				t.Errorf("Size %v too small for a busybox image", size)
			}

			must(t, d.cli(c, "tag", repo+":1", "docker.io/library/"+repo+":2"))
			tags := lines(must(t, d.cli(c, "images", "--format", "{{.Tag}}", repo)))
			if strings.Join(tags, ",") != "2,1" && strings.Join(tags, ",") != "1,2" {
				t.Errorf("tags after tag: %v", tags)
			}

			hist := lines(must(t, d.cli(c, "history", "--format", "{{.ID}}|{{.CreatedBy}}", repo+":1")))
			if len(hist) < len(img.DiffIDs) || !strings.HasPrefix(hist[0], img.ID.Encoded()[:12]) {
				t.Errorf("history: %v", hist)
			}

			// Removing one of two tags only untags.
			out := must(t, d.cli(c, "rmi", repo+":2"))
			if !strings.Contains(out, "Untagged: "+repo+":2") || strings.Contains(out, "Deleted:") {
				t.Errorf("rmi of one tag: %q", out)
			}
			out = must(t, d.cli(c, "rmi", repo+":1"))
			if !strings.Contains(out, "Untagged: "+repo+":1") || !strings.Contains(out, "Deleted: "+img.ID.String()) {
				t.Errorf("rmi of last tag: %q", out)
			}
			if ls := must(t, d.cli(c, "images", "-q", repo)); strings.TrimSpace(ls) != "" {
				t.Errorf("image still listed: %q", ls)
			}
			r := d.cli(c, "rmi", repo+":1")
			if r.Code == 0 || !strings.Contains(r.Stderr, "No such image: "+repo+":1") {
				t.Errorf("rmi of missing image: %s", r)
			}
		})
	}
}

func TestSaveLoadRoundTripKeepsIDs(t *testing.T) {
	d := startDaemon(t)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			a := loadFixture(t, d, c, fixture.Options{RepoTags: []string{"rt-" + c + "/a:1"}, Marker: c + "a"})
			b := loadFixture(t, d, c, fixture.Options{RepoTags: []string{"rt-" + c + "/b:1"}, Marker: c + "b"})
			path := filepath.Join(t.TempDir(), "both.tar")
			must(t, d.cli(c, "save", "-o", path, "rt-"+c+"/a:1", "rt-"+c+"/b:1"))
			members := tarMembers(t, path)
			for _, want := range []string{"manifest.json", "index.json", "oci-layout", "blobs/sha256/" + a.ID.Encoded(), "blobs/sha256/" + b.ID.Encoded()} {
				if _, ok := members[want]; !ok {
					t.Errorf("saved archive lacks %s", want)
				}
			}
			must(t, d.cli(c, "rmi", "rt-"+c+"/a:1", "rt-"+c+"/b:1"))
			out := must(t, d.cli(c, "load", "-i", path))
			if !strings.Contains(out, "rt-"+c+"/a:1") || !strings.Contains(out, "rt-"+c+"/b:1") {
				t.Errorf("load output: %q", out)
			}
			for name, img := range map[string]*fixture.Image{"rt-" + c + "/a:1": a, "rt-" + c + "/b:1": b} {
				id := strings.TrimSpace(must(t, d.cli(c, "image", "inspect", "--format", "{{.Id}}", name)))
				if id != img.ID.String() {
					t.Errorf("%s: id %s after round trip, want %s", name, id, img.ID)
				}
			}
		})
	}
}

func TestLoadOCILayout(t *testing.T) {
	d := startDaemon(t)
	img := fixture.Build(t, fixture.Options{RepoTags: []string{"oci/busybox:1"}})
	r := runCLI(t, "docker", d.Host, img.OCIArchive(t), nil, "load")
	if r.Code != 0 {
		t.Fatalf("docker load OCI: %s", r)
	}
	id := strings.TrimSpace(must(t, d.docker("image", "inspect", "--format", "{{.Id}}", "oci/busybox:1")))
	if id != img.ID.String() {
		t.Errorf("OCI load id %s, want %s", id, img.ID)
	}
}

func TestImportWithChanges(t *testing.T) {
	d := startDaemon(t)
	rootfs := rootfsTar(t)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			name := "imported-" + c + ":1"
			r := d.cliIn(c, rootfs, "import", "--change", `CMD ["/bin/sh","-c","echo hi"]`, "--change", "ENV A=1", "-m", "from a tar", "-", name)
			if r.Code != 0 || !strings.HasPrefix(strings.TrimSpace(r.Stdout), "sha256:") {
				t.Fatalf("import: %s", r)
			}
			out := must(t, d.cli(c, "image", "inspect", "--format", "{{json .Config.Cmd}} {{json .Config.Env}} {{.Comment}}", name))
			if strings.TrimSpace(out) != `["/bin/sh","-c","echo hi"] ["A=1"] from a tar` {
				t.Errorf("imported config: %q", out)
			}
			plain := "plain-" + c + ":1"
			must(t, d.cliIn(c, rootfs, "import", "-", plain))
			if out := must(t, d.cli(c, "history", "--format", "{{.Comment}}", plain)); out != "Imported from -\n" {
				t.Errorf("history comment of an import without -m: %q", out)
			}
			// From a URL, as dockerd fetches it.
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/rootfs.tar" {
					http.NotFound(w, r)
					return
				}
				w.Write(rootfs)
			}))
			defer srv.Close()
			fromURL := "url-" + c + ":1"
			must(t, d.cli(c, "import", srv.URL+"/rootfs.tar", fromURL))
			if out := must(t, d.cli(c, "run", "--rm", fromURL, "/bin/busybox", "echo", "from a url")); out != "from a url\n" {
				t.Errorf("run of an image imported from a URL: %q", out)
			}
			if out := must(t, d.cli(c, "history", "--format", "{{.Comment}}", fromURL)); out != "Imported from "+srv.URL+"/rootfs.tar\n" {
				t.Errorf("history comment of a URL import: %q", out)
			}
			if r := d.cli(c, "import", srv.URL+"/missing.tar"); r.Code == 0 || !strings.Contains(r.Stderr, "404 Not Found") {
				t.Errorf("import of a missing URL: %s", r)
			}
			// xz-compressed, as dockerd accepts it.
			var xzTar bytes.Buffer
			xw, err := xz.NewWriter(&xzTar)
			if err != nil {
				t.Fatal(err)
			}
			xw.Write(rootfs)
			xw.Close()
			fromXz := "xz-" + c + ":1"
			must(t, d.cliIn(c, xzTar.Bytes(), "import", "-", fromXz))
			if out := must(t, d.cli(c, "run", "--rm", fromXz, "/bin/busybox", "echo", "from xz")); out != "from xz\n" {
				t.Errorf("run of an image imported from an xz tar: %q", out)
			}
			bad := d.cliIn(c, rootfs, "import", "--change", "BOGUS x", "-", "bad-"+c)
			if bad.Code == 0 || !strings.Contains(bad.Stderr, "BOGUS") {
				t.Errorf("import with a bad change: %s", bad)
			}
		})
	}
}

func TestBadArchivesLeaveNothing(t *testing.T) {
	d := startDaemon(t)
	good := fixture.Build(t, fixture.Options{RepoTags: []string{"bad/base:1"}})
	archive := good.DockerArchive(t)
	cases := map[string][]byte{
		"truncated": archive[:len(archive)/2],
		"garbage":   bytes.Repeat([]byte("not a tar"), 1000),
		"mismatch":  swapLayer(t, archive),
		"escape":    escapingManifest(t),
	}
	before := must(t, d.docker("images", "-a", "-q"))
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "docker", d.Host, data, nil, "load")
			if r.Code == 0 {
				t.Fatalf("bad archive loaded: %s", r)
			}
			if after := must(t, d.docker("images", "-a", "-q")); after != before {
				t.Errorf("images changed: %q -> %q", before, after)
			}
		})
	}
	assertNoStrayFiles(t, d)
}

// TestKilledDuringLoadRestartsClean kills berthd in the middle of a load
// and checks that it starts again with no half image and no stray files.
func TestKilledDuringLoadRestartsClean(t *testing.T) {
	d := startDaemon(t)
	big := fixture.LargeImage(t, 4, 64).DockerArchive(t)
	pr, pw := io.Pipe()
	done := make(chan result, 1)
	go func() {
		done <- runCLIStream(t, "docker", d.Host, pr, nil, "load")
	}()
	// Feed half the archive, then kill the daemon while it waits for more.
	if _, err := pw.Write(big[:len(big)/2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	d.kill()
	pw.CloseWithError(io.ErrUnexpectedEOF)
	<-done
	d.start()
	if out := must(t, d.docker("images", "-a", "-q")); strings.TrimSpace(out) != "" {
		t.Errorf("half image visible after restart: %q", out)
	}
	assertNoStrayFiles(t, d)
	// And the same archive loads fine afterwards.
	r := runCLI(t, "docker", d.Host, big, nil, "load")
	if r.Code != 0 {
		t.Fatalf("load after restart: %s", r)
	}
}

// assertNoStrayFiles checks that no temporary or unreferenced data is left
// in the data root: no temp dirs and no layers that no image uses.
func assertNoStrayFiles(t *testing.T, d *daemon) {
	t.Helper()
	imgs := lines(must(t, d.docker("images", "-a", "-q")))
	_ = filepath.Walk(d.DataRoot, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		base := filepath.Base(path)
		if strings.HasPrefix(base, ".tmp") || strings.Contains(base, "-tmp-") || strings.HasPrefix(base, "tmp-") {
			t.Errorf("stray temporary file: %s", path)
		}
		return nil
	})
	if len(imgs) == 0 {
		entries, _ := os.ReadDir(filepath.Join(d.DataRoot, "layers", "sha256"))
		if len(entries) != 0 {
			t.Errorf("%d layers left with no image", len(entries))
		}
	}
}

func tarMembers(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[strings.TrimPrefix(h.Name, "./")] = b
	}
}

// rootfsTar is a tiny root filesystem with busybox, for import.
func rootfsTar(t *testing.T) []byte {
	t.Helper()
	fixture.SkipIfNoBusybox(t)
	bb, err := os.ReadFile(fixture.BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755})
	_ = tw.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bb))})
	_, _ = tw.Write(bb)
	_ = tw.WriteHeader(&tar.Header{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox"})
	_ = tw.Close()
	return buf.Bytes()
}

// swapLayer rewrites a docker-archive so that a layer's bytes no longer
// match the config's diff_ids.
func swapLayer(t *testing.T, archive []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if strings.HasPrefix(h.Name, "blobs/sha256/") && len(body) > 4096 && bytes.HasPrefix(body[257:], []byte("ustar")) {
			body = append([]byte{}, body...)
			body[len(body)/2] ^= 0xff // corrupt file content, keep the tar valid
		}
		h.Size = int64(len(body))
		_ = tw.WriteHeader(h)
		_, _ = tw.Write(body)
	}
	_ = tw.Close()
	return out.Bytes()
}

// escapingManifest is a docker-archive whose manifest points outside it.
func escapingManifest(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	manifest := `[{"Config":"../../../etc/passwd","RepoTags":["evil:1"],"Layers":["../../etc/shadow"]}]`
	_ = tw.WriteHeader(&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(manifest))})
	_, _ = tw.Write([]byte(manifest))
	_ = tw.Close()
	return buf.Bytes()
}
