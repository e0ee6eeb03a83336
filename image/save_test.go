package image

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/berth/berth/test/fixture"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	e := newEnv(t)
	a := busybox(t, fixture.Options{Marker: "a", RepoTags: []string{"a:1", "a:2", "example.com/ns/a:v1"}})
	b := busybox(t, fixture.Options{Marker: "b", RepoTags: []string{}, LegacyLayout: true})
	e.load(a.DockerArchive(t))
	e.load(b.OCIArchive(t))
	ctx := context.Background()

	var buf bytes.Buffer
	if err := e.svc.Save(ctx, []string{"a", "example.com/ns/a:v1", "sha256:" + b.ID.Encoded()[:12]}, &buf); err != nil {
		t.Fatal(err)
	}
	checkSavedArchive(t, buf.Bytes(), a, b)

	before := e.list(ListOptions{All: true})
	for _, id := range []digest.Digest{a.ID, b.ID} {
		if _, err := e.svc.Delete(ctx, id.String(), true, false); err != nil {
			t.Fatal(err)
		}
	}
	if e.svc.Count() != 0 || len(e.chainIDs()) != 0 {
		t.Fatal("images left after delete")
	}
	rec := e.load(buf.Bytes())
	after := e.list(ListOptions{All: true})
	if len(before) != len(after) {
		t.Fatalf("before %+v\nafter %+v", before, after)
	}
	for i := range before {
		if before[i].ID != after[i].ID || !slices.Equal(before[i].RepoTags, after[i].RepoTags) || before[i].Size != after[i].Size {
			t.Errorf("image %d: before %+v, after %+v", i, before[i], after[i])
		}
	}
	if got := rec.streams(); len(got) != 4 {
		t.Errorf("load messages = %q", got)
	}
	e.assertNoTemp()
}

func checkSavedArchive(t *testing.T, b []byte, a, untagged *fixture.Image) {
	t.Helper()
	names, files := members(t, b)
	for _, want := range []string{"manifest.json", "index.json", "oci-layout", "repositories", "blobs/sha256/" + a.ID.Encoded()} {
		if !slices.Contains(names, want) {
			t.Errorf("archive lacks %s: %v", want, names)
		}
	}
	// Layers are stored once, uncompressed, named by diff ID.
	for _, d := range append(slices.Clone(a.DiffIDs), untagged.DiffIDs[1:]...) {
		body := files["blobs/sha256/"+d.Encoded()]
		if digest.FromBytes(body) != d {
			t.Errorf("layer %s missing or wrong", d)
		}
	}
	var manifest []manifestItem
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 2 {
		t.Fatalf("manifest.json = %s, %v", files["manifest.json"], err)
	}
	if want := []string{"a:1", "a:2", "example.com/ns/a:v1"}; !slices.Equal(manifest[0].RepoTags, want) {
		t.Errorf("RepoTags = %v", manifest[0].RepoTags)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(files["index.json"], &idx); err != nil || len(idx.Manifests) != 4 {
		t.Fatalf("index.json = %s, %v", files["index.json"], err)
	}
	if got := idx.Manifests[0].Annotations["io.containerd.image.name"]; got != "docker.io/library/a:1" {
		t.Errorf("annotation = %q", got)
	}
	var repos map[string]map[string]string
	if err := json.Unmarshal(files["repositories"], &repos); err != nil || repos["a"]["2"] != a.DiffIDs[2].Encoded() {
		t.Errorf("repositories = %s", files["repositories"])
	}
}

// TestSaveLoadOCIOnly loads a saved archive through its OCI layout alone.
func TestSaveLoadOCIOnly(t *testing.T) {
	e := newEnv(t)
	a := busybox(t, fixture.Options{RepoTags: []string{"a:1"}})
	e.load(a.DockerArchive(t))
	var buf bytes.Buffer
	if err := e.svc.Save(context.Background(), []string{"a:1"}, &buf); err != nil {
		t.Fatal(err)
	}
	names, files := members(t, buf.Bytes())
	delete(files, "manifest.json")
	oci := map[string]string{}
	for _, n := range names {
		if b, ok := files[n]; ok && n[len(n)-1] != '/' {
			oci[n] = string(b)
		}
	}
	e2 := newEnv(t)
	e2.load(tarOf(t, oci))
	if in := e2.inspect("a:1"); in.ID != a.ID.String() {
		t.Errorf("ID = %s", in.ID)
	}
}

func TestSaveErrors(t *testing.T) {
	e := newEnv(t)
	e.load(busybox(t, fixture.Options{RepoTags: []string{"a:1"}}).DockerArchive(t))
	ctx := context.Background()
	var buf bytes.Buffer
	wantErr(t, e.svc.Save(ctx, []string{"a:2"}, &buf), errNotFound, "reference does not exist")
	wantErr(t, e.svc.Save(ctx, []string{"nope"}, &buf), errNotFound, "No such image: nope:latest")
	wantErr(t, e.svc.Save(ctx, []string{"A"}, &buf), errInvalid, "invalid reference format")
	if buf.Len() != 0 {
		t.Error("wrote output before failing")
	}
}
