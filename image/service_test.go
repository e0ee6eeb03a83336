package image

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth/berth/api"
	"github.com/berth/berth/test/fixture"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
)

func TestRestartKeepsEverything(t *testing.T) {
	e := newEnv(t)
	a := busybox(t, fixture.Options{Marker: "a", RepoTags: []string{"a:1"}})
	b := busybox(t, fixture.Options{Marker: "b", RepoTags: []string{}})
	e.load(a.DockerArchive(t))
	e.load(b.OCIArchive(t))
	e.tag("a:1", "example.com/a", "v2")
	before := e.list(ListOptions{All: true})
	inspectBefore := e.inspect("a:1")

	e.reopen()
	after := e.list(ListOptions{All: true})
	if len(after) != 2 || before[0].ID != after[0].ID || !slices.Equal(before[0].RepoTags, after[0].RepoTags) ||
		before[1].ID != after[1].ID || before[0].Size != after[0].Size {
		t.Errorf("before %+v\nafter %+v", before, after)
	}
	in := e.inspect("example.com/a:v2")
	if !in.Metadata.LastTagTime.Equal(inspectBefore.Metadata.LastTagTime) || in.GraphDriver.Data["UpperDir"] != inspectBefore.GraphDriver.Data["UpperDir"] {
		t.Errorf("inspect before %+v\nafter %+v", inspectBefore, in)
	}
	if len(e.chainIDs()) != 5 { // b shares a's base layer
		t.Errorf("layers = %v", e.chainIDs())
	}
}

// TestRecoveryCleansLeftovers reproduces what a crash at each step of a load
// leaves behind and checks that NewService removes it.
func TestRecoveryCleansLeftovers(t *testing.T) {
	e := newEnv(t)
	kept := busybox(t, fixture.Options{Marker: "kept", RepoTags: []string{"kept:1"}})
	e.load(kept.DockerArchive(t))

	orphan := busybox(t, fixture.Options{Marker: "orphan"})
	// Layers registered, config written, index not yet: the crash window.
	var parent digest.Digest
	for _, l := range orphan.Layers {
		got, err := e.layers.Register(bytes.NewReader(l), parent)
		if err != nil {
			t.Fatal(err)
		}
		parent = got.ChainID
	}
	if _, err := e.svc.content.PutBytes(orphan.Config, orphan.ID); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(e.root, "image")
	mustWrite(t, filepath.Join(img, "tmp", "load-123", "blobs", "x"), "half an archive")
	mustWrite(t, filepath.Join(img, "content", "ingest", "blob-9"), "half a config")
	mustWrite(t, filepath.Join(img, ".images.json-42"), "{")

	e.reopen()
	if ids := e.ids(); !slices.Equal(ids, []string{kept.ID.String()}) {
		t.Errorf("images = %v", ids)
	}
	if n := len(e.chainIDs()); n != 3 {
		t.Errorf("%d layers, want the kept image's 3", n)
	}
	if blobs := e.configBlobs(); !slices.Equal(blobs, []string{kept.ID.Encoded()}) {
		t.Errorf("config blobs = %v", blobs)
	}
	e.assertNoTemp()
	if _, err := os.Stat(filepath.Join(img, ".images.json-42")); err == nil {
		t.Error("stale index temp file left")
	}
}

// TestRecoveryDropsBrokenImages: an image whose layer vanished is dropped
// with its tags rather than served half.
func TestRecoveryDropsBrokenImages(t *testing.T) {
	e := newEnv(t)
	a := busybox(t, fixture.Options{Marker: "a", RepoTags: []string{"a:1"}})
	e.load(a.DockerArchive(t))
	top := chainIDs(a.DiffIDs)[2]
	if err := e.layers.Remove(top); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	if e.svc.Count() != 0 || len(e.chainIDs()) != 0 || len(e.configBlobs()) != 0 {
		t.Errorf("left %d images, layers %v, configs %v", e.svc.Count(), e.chainIDs(), e.configBlobs())
	}
	if _, err := e.svc.Resolve(context.Background(), "a:1"); err == nil {
		t.Error("tag of dropped image still resolves")
	}
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// crashHelperEnv names the data root for TestCrashHelper, which loads an
// archive and prints progress until the parent test kills it.
const crashHelperEnv = "BERTH_IMAGE_CRASH_HELPER"

func TestCrashHelper(t *testing.T) {
	root := os.Getenv(crashHelperEnv)
	if root == "" {
		t.Skip("helper process for TestLoadSIGKILL")
	}
	e := &env{t: t, root: root}
	e.reopen()
	f, err := os.Open(filepath.Join(root, "archive.tar"))
	if err != nil {
		t.Fatal(err)
	}
	out := &printer{enc: json.NewEncoder(os.Stdout)}
	if err := e.svc.Load(context.Background(), f, false, out); err != nil {
		t.Fatal(err)
	}
}

type printer struct{ enc *json.Encoder }

func (p *printer) Send(m api.Message) { p.enc.Encode(m) }

// TestLoadSIGKILL kills a process in the middle of loading (after its
// first layer is in) and checks that a restarted service shows no half
// image and keeps no stray files.
func TestLoadSIGKILL(t *testing.T) {
	e := newEnv(t)
	kept := busybox(t, fixture.Options{Marker: "kept", RepoTags: []string{"kept:1"}})
	e.load(kept.DockerArchive(t))
	large := fixture.LargeImage(t, 4, 64)
	mustWrite(t, filepath.Join(e.root, "archive.tar"), string(large.DockerArchive(t)))

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.v")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+e.root)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	sc := bufio.NewScanner(stdout)
	var layersSeen []string
	for sc.Scan() {
		var m api.Message
		if json.Unmarshal(sc.Bytes(), &m) != nil || m.Status != "Loading layer" {
			continue
		}
		if !slices.Contains(layersSeen, m.ID) {
			layersSeen = append(layersSeen, m.ID)
		}
		if len(layersSeen) == 2 { // layer 1 registered, layer 2 under way
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatal("helper finished before it could be killed")
	}
	e.reopen()
	if ids := e.ids(); !slices.Equal(ids, []string{kept.ID.String()}) {
		t.Errorf("images after crash = %v", ids)
	}
	if n := len(e.chainIDs()); n != 3 {
		t.Errorf("%d layers after crash, want the kept image's 3", n)
	}
	e.assertNoTemp()
	entries, _ := os.ReadDir(filepath.Join(e.root, "layers", "tmp"))
	if len(entries) != 0 {
		t.Errorf("layer store tmp not clean: %v", entries)
	}
	// And the same archive loads fine afterwards.
	f, err := os.Open(filepath.Join(e.root, "archive.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := e.svc.Load(context.Background(), f, true, &recorder{}); err != nil {
		t.Fatal(err)
	}
}

func TestEvents(t *testing.T) {
	e := newEnv(t)
	_, sub := e.bus.Subscribe(time.Time{})
	defer sub.Close()
	img := busybox(t, fixture.Options{RepoTags: []string{"a:1"}, Labels: map[string]string{"l": "v"}})
	ctx := context.Background()
	e.load(img.DockerArchive(t))
	e.tag("a:1", "b", "2")
	if err := e.svc.Save(ctx, []string{"a:1"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Delete(ctx, "b:2", false, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Delete(ctx, "a:1", false, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Import(ctx, bytes.NewReader(img.Layers[1]), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"load " + img.ID.String(), "tag b:2", "save " + img.ID.String(), "untag " + img.ID.String(),
		"untag " + img.ID.String(), "delete " + img.ID.String(), "import"}
	var got []string
	for range want {
		select {
		case m := <-sub.C:
			if m.Type != eventtypes.ImageEventType || m.Actor.ID == "" || (m.Action != "import" && m.Actor.Attributes["l"] != "v") {
				t.Errorf("event %+v", m)
			}
			s := string(m.Action) + " " + m.Actor.Attributes["name"]
			if m.Action == "import" {
				s = "import"
			}
			got = append(got, s)
		case <-time.After(5 * time.Second):
			t.Fatalf("events so far %q", got)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("events = %q\nwant %q", got, want)
	}
}

// TestConcurrentUse runs readers against writers; run with -race.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	imgs := []*fixture.Image{
		busybox(t, fixture.Options{Marker: "1", RepoTags: []string{"one:1"}}),
		busybox(t, fixture.Options{Marker: "2", RepoTags: []string{"two:1"}}),
	}
	archives := [][]byte{imgs[0].DockerArchive(t), imgs[1].DockerArchive(t)}
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				e.svc.List(ctx, ListOptions{SharedSize: true})
				e.svc.Inspect(ctx, "one:1")
				e.svc.History(ctx, "two:1")
			}
		})
	}
	for i := range 10 {
		var wgw sync.WaitGroup
		for j, a := range archives {
			wgw.Go(func() {
				if err := e.svc.Load(ctx, bytes.NewReader(a), true, &recorder{}); err != nil {
					t.Error(err)
				}
				e.svc.Tag(ctx, imgs[j].ID.String(), "tagged", strings.Repeat("x", i+1))
			})
		}
		wgw.Wait()
		if i%3 == 2 {
			for _, img := range imgs {
				if _, err := e.svc.Delete(ctx, img.ID.String(), true, false); err != nil {
					t.Error(err)
				}
			}
		}
	}
	close(stop)
	wg.Wait()
	// Every image left is whole.
	for _, s := range e.list(ListOptions{All: true}) {
		if in := e.inspect(s.ID); in.GraphDriver.Data["UpperDir"] == "" {
			t.Errorf("image %s has no layers: %+v", s.ID, in.GraphDriver)
		}
	}
	e.reopen()
	if e.svc.Count() != 2 {
		t.Errorf("%d images after restart", e.svc.Count())
	}
}
