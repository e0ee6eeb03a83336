package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/daemon"
	"github.com/berth/berth/daemon/config"
	"github.com/berth/berth/events"
	"github.com/berth/berth/image"
	"github.com/berth/berth/layer"
	"github.com/berth/berth/test/fixture"
	"github.com/berth/berth/test/testenv"
)

// newAPI serves the API over real services on a temp data root.
func newAPI(t *testing.T) *httptest.Server {
	t.Helper()
	testenv.RequireRoot(t)
	root := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	layers, err := layer.NewStore(filepath.Join(root, "layers"), log)
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	images, err := image.NewService(filepath.Join(root, "image"), layers, bus, log)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{DataRoot: root, DefaultRuntime: "runc", Runtimes: map[string]config.Runtime{"runc": {Path: "runc"}}}
	cfg.ExecRoot = filepath.Join(root, "exec")
	ctrs, err := daemon.NewContainers(cfg, images, layers, bus, daemon.ContainersOptions{}, log)
	if err != nil {
		t.Fatal(err)
	}
	d := daemon.New(cfg, "id", images, ctrs, layers, bus, log)
	srv := httptest.NewServer(New(Backends{System: d, Images: images, Containers: ctrs, Exec: ctrs}, "test", log))
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, method, path string, body []byte) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestImageEndpointsStatusCodes(t *testing.T) {
	srv := newAPI(t)
	archive := fixture.DockerArchive(t, fixture.Options{RepoTags: []string{"api/busybox:1"}})
	status, hdr, body := call(t, srv, "POST", "/v1.41/images/load?quiet=1", archive)
	if status != 200 || hdr.Get("Content-Type") != "application/json" || !strings.Contains(body, `"stream":"Loaded image: api/busybox:1\n"`) {
		t.Fatalf("load: %d %v %s", status, hdr, body)
	}
	q := url.QueryEscape
	cases := []struct {
		method, path string
		body         []byte
		status       int
		contains     string
	}{
		{"GET", "/images/json", nil, 200, `"RepoTags":["api/busybox:1"]`},
		{"GET", "/v1.24/images/json?filters=" + q(`{"reference":["api/*"]}`), nil, 200, `api/busybox:1`},
		{"GET", "/images/json?filters=" + q(`{"bogus":{"x":true}}`), nil, 400, `invalid filter 'bogus'`},
		{"GET", "/images/json?filters=" + q(`{not json`), nil, 400, `invalid filter`},
		{"GET", "/images/docker.io/library/nope:1/json", nil, 404, `No such image: nope:1`},
		{"GET", "/images/docker.io/api/busybox:1/json", nil, 200, `"RepoTags":["api/busybox:1"]`},
		{"GET", "/images/api/busybox:1/history", nil, 200, `"Tags":["api/busybox:1"]`},
		{"POST", "/images/api/busybox:1/tag?repo=" + q("docker.io/library/copy") + "&tag=2", nil, 201, ``},
		{"POST", "/images/api/busybox:1/tag?repo=UPPER&tag=1", nil, 400, `must be lowercase`},
		{"DELETE", "/images/copy:2", nil, 200, `"Untagged":"copy:2"`},
		{"DELETE", "/images/copy:2", nil, 404, `No such image: copy:2`},
		{"GET", "/images/get?names=nope", nil, 404, `No such image`},
		{"GET", "/images/get?names=api/busybox", nil, 200, `manifest.json`}, // a bare repository saves all its tags
		{"POST", "/images/load", []byte("garbage"), 400, ``},
		{"POST", "/images/create?fromSrc=-&repo=imp&changes=" + q("BOGUS x"), []byte{}, 400, `BOGUS`},
		{"POST", "/images/create", nil, 400, `fromImage or fromSrc is required`},
		{"GET", "/system/df", nil, 200, `"LayersSize":`},
	}
	for _, c := range cases {
		status, _, body := call(t, srv, c.method, c.path, c.body)
		if status != c.status || !strings.Contains(body, c.contains) {
			t.Errorf("%s %s = %d %s; want %d containing %q", c.method, c.path, status, body, c.status, c.contains)
		}
		if status >= 400 && !strings.HasPrefix(body, `{"message":`) {
			t.Errorf("%s %s: error body not Docker's shape: %s", c.method, c.path, body)
		}
	}
}

func TestInfoVersionJSON(t *testing.T) {
	srv := newAPI(t)
	status, _, body := call(t, srv, "GET", "/v1.41/version", nil)
	var v map[string]any
	if status != 200 || json.Unmarshal([]byte(body), &v) != nil || v["ApiVersion"] == "" || v["Os"] != "linux" {
		t.Errorf("version: %d %s", status, body)
	}
	status, _, body = call(t, srv, "GET", "/info", nil)
	if status != 200 || !strings.Contains(body, `"Driver":"overlay2"`) || !strings.Contains(body, `"OSType":"linux"`) {
		t.Errorf("info: %d %s", status, body)
	}
}

func TestEventsUntilEndsStream(t *testing.T) {
	srv := newAPI(t)
	call(t, srv, "POST", "/images/load", fixture.DockerArchive(t, fixture.Options{RepoTags: []string{"ev:1"}}))
	u := time.Now().Add(200 * time.Millisecond)
	until := fmt.Sprintf("%d.%09d", u.Unix(), u.Nanosecond())
	start := time.Now()
	status, _, body := call(t, srv, "GET", "/v1.41/events?since=1&until="+until+"&filters="+url.QueryEscape(`{"event":{"load":true}}`), nil)
	if time.Since(start) > 10*time.Second {
		t.Error("stream did not end at until")
	}
	if status != 200 {
		t.Fatalf("events: %d %s", status, body)
	}
	ls := strings.Split(strings.TrimSpace(body), "\n")
	if len(ls) != 1 || !strings.Contains(ls[0], `"Action":"load"`) || !strings.Contains(ls[0], `"status":"load"`) {
		t.Errorf("events body: %s", body)
	}
	status, _, body = call(t, srv, "GET", "/events?since=5&until=1", nil)
	if status != 400 {
		t.Errorf("until before since: %d %s", status, body)
	}
}
