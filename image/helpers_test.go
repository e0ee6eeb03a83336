package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/berth/berth/api"
	"github.com/berth/berth/events"
	"github.com/berth/berth/layer"
	"github.com/berth/berth/test/fixture"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
)

// env is a service on a temporary data root, with its layer store.
type env struct {
	t      testing.TB
	root   string // data root: layers/ and image/
	layers *layer.Store
	bus    *events.Bus
	svc    *Service
}

func newEnv(t testing.TB) *env {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the layer store writes overlay whiteouts and trusted xattrs")
	}
	e := &env{t: t, root: t.TempDir(), bus: events.NewBus()}
	e.reopen()
	return e
}

// reopen starts the layer store and the service again on the same root,
// as a restarted berthd does.
func (e *env) reopen() {
	e.t.Helper()
	log := slog.New(slog.NewTextHandler(testOutput(e.t), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ls, err := layer.NewStore(filepath.Join(e.root, "layers"), log)
	if err != nil {
		e.t.Fatal(err)
	}
	svc, err := NewService(filepath.Join(e.root, "image"), ls, e.bus, log)
	if err != nil {
		e.t.Fatal(err)
	}
	e.layers, e.svc = ls, svc
}

func testOutput(tb testing.TB) interface{ Write([]byte) (int, error) } {
	if t, ok := tb.(*testing.T); ok {
		return t.Output()
	}
	return discardWriter{}
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// recorder is an api.Progress that keeps every message.
type recorder struct {
	mu   sync.Mutex
	msgs []api.Message
}

func (r *recorder) Send(m api.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
}

func (r *recorder) streams() []string {
	var out []string
	for _, m := range r.msgs {
		if m.Stream != "" {
			out = append(out, m.Stream)
		}
	}
	return out
}

func (e *env) load(archive []byte) *recorder {
	e.t.Helper()
	rec := &recorder{}
	if err := e.svc.Load(context.Background(), bytes.NewReader(archive), false, rec); err != nil {
		e.t.Fatalf("load: %v", err)
	}
	return rec
}

func (e *env) list(opts ListOptions) []image.Summary {
	e.t.Helper()
	l, err := e.svc.List(context.Background(), opts)
	if err != nil {
		e.t.Fatalf("list: %v", err)
	}
	return l
}

func (e *env) ids() []string {
	var ids []string
	for _, s := range e.list(ListOptions{All: true}) {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

func (e *env) inspect(name string) image.InspectResponse {
	e.t.Helper()
	r, err := e.svc.Inspect(context.Background(), name)
	if err != nil {
		e.t.Fatalf("inspect %s: %v", name, err)
	}
	return r
}

func (e *env) tag(source, repo, tag string) {
	e.t.Helper()
	if err := e.svc.Tag(context.Background(), source, repo, tag); err != nil {
		e.t.Fatalf("tag %s %s:%s: %v", source, repo, tag, err)
	}
}

func (e *env) chainIDs() []digest.Digest {
	e.t.Helper()
	ls, err := e.layers.List()
	if err != nil {
		e.t.Fatal(err)
	}
	var out []digest.Digest
	for _, l := range ls {
		out = append(out, l.ChainID)
	}
	return out
}

// assertNoTemp fails if staging files remain under the service root.
func (e *env) assertNoTemp() {
	e.t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.root, "image", "tmp"))
	if err != nil {
		e.t.Fatal(err)
	}
	if len(entries) != 0 {
		e.t.Fatalf("stray files in tmp/: %v", entries)
	}
	ingest, _ := os.ReadDir(filepath.Join(e.root, "image", "content", "ingest"))
	if len(ingest) != 0 {
		e.t.Fatalf("stray ingest files: %v", ingest)
	}
}

// configBlobs lists the config blobs in the content store.
func (e *env) configBlobs() []string {
	e.t.Helper()
	var out []string
	dir := filepath.Join(e.root, "image", "content", "blobs", "sha256")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, d.Name())
		}
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func wantErr(t testing.TB, err error, class error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %q, got nil", msg)
	}
	if class != nil && !errors.Is(err, class) {
		t.Errorf("error %q: want class %v", err, class)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q: want it to contain %q", err, msg)
	}
}

var (
	errNotFound = errdefs.ErrNotFound
	errInvalid  = errdefs.ErrInvalidArgument
	errConflict = errdefs.ErrConflict
)

// busybox builds the default fixture, skipping without busybox-static.
func busybox(t testing.TB, opts fixture.Options) *fixture.Image {
	return fixture.Build(t, opts)
}

// members reads every member of a tar, in order.
func members(t testing.TB, b []byte) ([]string, map[string][]byte) {
	t.Helper()
	var names []string
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names, files
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		files[hdr.Name] = body
	}
}

// tarOf writes files (sorted by name) as a tar.
func tarOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := slices.Sorted(maps.Keys(files))
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[n]))
	}
	tw.Close()
	return buf.Bytes()
}

// rewriteManifest changes the first manifest.json entry of a docker-archive.
func rewriteManifest(t testing.TB, archive []byte, fn func(*fixture.ManifestItem)) []byte {
	t.Helper()
	names, files := members(t, archive)
	var m []fixture.ManifestItem
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	m[0].Layers = slices.Clone(m[0].Layers)
	fn(&m[0])
	mb, _ := json.Marshal(m)
	files["manifest.json"] = mb
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(files[n])
	}
	tw.Close()
	return buf.Bytes()
}
