package image

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth/berth/test/fixture"
	"github.com/opencontainers/go-digest"
)

func TestLoadDockerArchive(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(map[bool]string{false: "docker25", true: "legacy"}[legacy], func(t *testing.T) {
			e := newEnv(t)
			img := busybox(t, fixture.Options{LegacyLayout: legacy, Labels: map[string]string{"a": "b"}, User: "nobody"})
			rec := e.load(img.DockerArchive(t))
			if got := rec.streams(); !slices.Equal(got, []string{"Loaded image: berth-test/busybox:latest\n"}) {
				t.Errorf("streams = %q", got)
			}
			checkProgress(t, rec)
			checkLoaded(t, e, img)
		})
	}
}

func checkProgress(t *testing.T, rec *recorder) {
	t.Helper()
	n := 0
	for _, m := range rec.msgs {
		if m.Status == "Loading layer" {
			n++
			if m.ProgressDetail == nil || m.ProgressDetail.Total == 0 || len(m.ID) != 12 || !strings.HasPrefix(m.ProgressMessage, "[") {
				t.Errorf("bad progress message %+v", m)
			}
		}
	}
	if n < 3 {
		t.Errorf("%d progress messages, want one per layer at least", n)
	}
}

func checkLoaded(t *testing.T, e *env, img *fixture.Image) {
	t.Helper()
	list := e.list(ListOptions{})
	if len(list) != 1 {
		t.Fatalf("list = %+v", list)
	}
	s := list[0]
	if s.ID != img.ID.String() || !slices.Equal(s.RepoTags, []string{"berth-test/busybox:latest"}) ||
		len(s.RepoDigests) != 0 || s.Size < 1<<20 || s.Created != fixture.Epoch.Unix() || s.SharedSize != -1 || s.Containers != -1 {
		t.Errorf("summary = %+v", s)
	}
	in := e.inspect("berth-test/busybox")
	if in.ID != img.ID.String() || in.Os != "linux" || in.Architecture != "amd64" || in.Size != s.Size ||
		in.Config.User != img.Options.User || in.Config.WorkingDir != "/app" || !slices.Equal(in.Config.Cmd, []string{"sh"}) ||
		in.RootFS.Type != "layers" || len(in.RootFS.Layers) != 3 || in.RootFS.Layers[2] != img.DiffIDs[2].String() ||
		in.Created != "2024-01-01T00:00:00Z" || !in.Metadata.LastTagTime.IsZero() {
		t.Errorf("inspect = %+v (config %+v)", in, in.Config)
	}
	gd := in.GraphDriver
	if gd.Name != "overlay2" || len(strings.Split(gd.Data["LowerDir"], ":")) != 2 || gd.Data["MergedDir"] == "" || gd.Data["WorkDir"] == "" {
		t.Errorf("graph driver = %+v", gd)
	}
	// The top layer holds the opaque dir's new file; the base holds busybox.
	if _, err := os.Stat(filepath.Join(gd.Data["UpperDir"], "data", "c.txt")); err != nil {
		t.Error(err)
	}
	lowers := strings.Split(gd.Data["LowerDir"], ":")
	if _, err := os.Stat(filepath.Join(lowers[len(lowers)-1], "bin", "busybox")); err != nil {
		t.Error(err)
	}
	checkHistory(t, e, img)
}

func checkHistory(t *testing.T, e *env, img *fixture.Image) {
	t.Helper()
	h, err := e.svc.History(context.Background(), img.ID.Encoded()[:12])
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 4 {
		t.Fatalf("history has %d items: %+v", len(h), h)
	}
	top := h[0]
	if top.ID != img.ID.String() || !slices.Equal(top.Tags, []string{"berth-test/busybox:latest"}) || top.Size != 0 ||
		!strings.Contains(top.CreatedBy, "CMD") {
		t.Errorf("top history item = %+v", top)
	}
	for _, it := range h[1:] {
		if it.ID != "<missing>" || it.Tags != nil || it.Size <= 0 {
			t.Errorf("history item = %+v", it)
		}
	}
	if h[3].Size < 1<<20 || h[2].Comment != "files" {
		t.Errorf("base/files items = %+v %+v", h[3], h[2])
	}
}

func TestLoadOCILayout(t *testing.T) {
	e := newEnv(t)
	img := busybox(t, fixture.Options{RepoTags: []string{"berth-test/busybox:latest", "example.com/x/y:v1"}})
	rec := e.load(img.OCIArchive(t))
	want := []string{"Loaded image: berth-test/busybox:latest\n", "Loaded image: example.com/x/y:v1\n"}
	if got := rec.streams(); !slices.Equal(got, want) {
		t.Errorf("streams = %q", got)
	}
	in := e.inspect("example.com/x/y:v1")
	if in.ID != img.ID.String() || !slices.Equal(in.RootFS.Layers, []string{img.DiffIDs[0].String(), img.DiffIDs[1].String(), img.DiffIDs[2].String()}) {
		t.Errorf("inspect = %+v", in)
	}
}

func TestLoadUntaggedAndQuiet(t *testing.T) {
	e := newEnv(t)
	img := busybox(t, fixture.Options{RepoTags: []string{}})
	rec := &recorder{}
	if err := e.svc.Load(context.Background(), strings.NewReader(string(img.DockerArchive(t))), true, rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.msgs) != 1 || rec.msgs[0].Stream != "Loaded image ID: "+img.ID.String()+"\n" {
		t.Errorf("messages = %+v", rec.msgs)
	}
	if l := e.list(ListOptions{}); len(l) != 1 || len(l[0].RepoTags) != 0 {
		t.Errorf("list = %+v", l)
	}
}

func TestLoadMovesTag(t *testing.T) {
	e := newEnv(t)
	a := busybox(t, fixture.Options{Marker: "a"})
	b := busybox(t, fixture.Options{Marker: "b"})
	e.load(a.DockerArchive(t))
	rec := e.load(b.DockerArchive(t))
	want := "The image berth-test/busybox:latest already exists, renaming the old one with ID " + a.ID.String() + " to empty string\n"
	if got := rec.streams(); len(got) != 2 || got[0] != want {
		t.Errorf("streams = %q", got)
	}
	if id, _ := e.svc.Resolve(context.Background(), "berth-test/busybox"); id != b.ID {
		t.Errorf("tag points at %s", id)
	}
	if l := e.list(ListOptions{}); len(l) != 2 {
		t.Errorf("old image should stay, dangling: %+v", l)
	}
}

// TestLoadBadInput checks that a bad archive adds nothing: no image, no
// tag, no layer, no config, no staging file.
func TestLoadBadInput(t *testing.T) {
	e := newEnv(t)
	base := busybox(t, fixture.Options{Marker: "base"})
	e.load(base.DockerArchive(t))
	good := busybox(t, fixture.Options{Marker: "new", RepoTags: []string{"bad:1"}})
	archive := good.DockerArchive(t)

	mismatch := *good
	mismatch.Layers = slices.Clone(good.Layers)
	mismatch.Layers[1] = busybox(t, fixture.Options{Marker: "other"}).Layers[1] // config still names "new"

	cases := map[string][]byte{
		"truncated":         archive[:len(archive)/2],
		"mismatched diffid": mismatch.DockerArchive(t),
		"escaping config":   rewriteManifest(t, archive, func(m *fixture.ManifestItem) { m.Config = "../../etc/passwd" }),
		"escaping layer":    rewriteManifest(t, archive, func(m *fixture.ManifestItem) { m.Layers[2] = "blobs/../../x" }),
		"absolute layer":    rewriteManifest(t, archive, func(m *fixture.ManifestItem) { m.Layers[0] = "/etc/passwd" }),
		"missing config":    rewriteManifest(t, archive, func(m *fixture.ManifestItem) { m.Config = "blobs/sha256/" + strings.Repeat("0", 64) }),
		"missing layer":     rewriteManifest(t, archive, func(m *fixture.ManifestItem) { m.Layers[2] = "nope/layer.tar" }),
		"too few layers":    rewriteManifest(t, archive, func(m *fixture.ManifestItem) { m.Layers = m.Layers[:2] }),
		"empty":             {},
		"not a tar":         []byte(strings.Repeat("garbage ", 200)),
		"escaping member":   tarOf(t, map[string]string{"../evil": "x", "manifest.json": "[]"}),
	}
	before, layersBefore, configsBefore := e.ids(), e.chainIDs(), e.configBlobs()
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			err := e.svc.Load(context.Background(), strings.NewReader(string(b)), false, &recorder{})
			if name == "escaping member" {
				wantErr(t, err, errInvalid, "escapes")
			} else if err == nil {
				t.Fatal("load succeeded")
			}
			t.Log(err)
			if got := e.ids(); !slices.Equal(got, before) {
				t.Errorf("images changed: %v", got)
			}
			if got := e.chainIDs(); !slices.Equal(got, layersBefore) {
				t.Errorf("layers changed: %v, had %v", got, layersBefore)
			}
			if got := e.configBlobs(); !slices.Equal(got, configsBefore) {
				t.Errorf("configs changed: %v", got)
			}
			if _, err := e.svc.Resolve(context.Background(), "bad:1"); err == nil {
				t.Error("tag bad:1 appeared")
			}
			e.assertNoTemp()
			if _, err := os.Stat(filepath.Join(e.root, "evil")); err == nil {
				t.Error("archive member escaped")
			}
		})
	}
	// Sanity: the untouched archive loads.
	e.load(archive)
	if _, err := e.svc.Resolve(context.Background(), "bad:1"); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMismatchedDiffIDMessage(t *testing.T) {
	e := newEnv(t)
	good := busybox(t, fixture.Options{})
	bad := *good
	bad.Layers = []([]byte){good.Layers[0], good.Layers[2], good.Layers[1]}
	err := e.svc.Load(context.Background(), strings.NewReader(string(bad.DockerArchive(t))), true, &recorder{})
	wantErr(t, err, errInvalid, "invalid diffID for layer 1: expected \""+good.DiffIDs[1].String())
	if n := len(e.chainIDs()); n != 0 {
		t.Errorf("%d layers left behind", n)
	}
}

func TestLoadSharedLayersKept(t *testing.T) {
	e := newEnv(t)
	a := busybox(t, fixture.Options{Marker: "a", RepoTags: []string{"a:1"}})
	e.load(a.DockerArchive(t))
	// b shares a's base layer; its layer 2 is corrupt.
	b := busybox(t, fixture.Options{Marker: "b", RepoTags: []string{"b:1"}})
	b.Layers = slices.Clone(b.Layers)
	b.Layers[1] = a.Layers[1]
	if err := e.svc.Load(context.Background(), strings.NewReader(string(b.DockerArchive(t))), true, &recorder{}); err == nil {
		t.Fatal("load succeeded")
	}
	for _, d := range []digest.Digest{a.DiffIDs[0]} {
		if _, err := e.layers.Get(d); err != nil {
			t.Errorf("shared base layer removed: %v", err)
		}
	}
	if len(e.chainIDs()) != 3 {
		t.Errorf("layers = %v", e.chainIDs())
	}
}
