package image

import (
	"context"
	"slices"
	"testing"

	"github.com/berth/berth/test/fixture"
	"github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
)

func TestResolve(t *testing.T) {
	e := newEnv(t)
	img := busybox(t, fixture.Options{RepoTags: []string{"busybox:latest", "example.com/team/app:1.0"}})
	e.load(img.DockerArchive(t))
	ctx := context.Background()
	hex := img.ID.Encoded()
	for _, name := range []string{"busybox", "busybox:latest", "docker.io/library/busybox", "docker.io/library/busybox:latest",
		"example.com/team/app:1.0", img.ID.String(), hex, hex[:12], hex[:3], "sha256:" + hex[:5]} {
		if id, err := e.svc.Resolve(ctx, name); err != nil || id != img.ID {
			t.Errorf("Resolve(%q) = %s, %v", name, id, err)
		}
	}
	for name, msg := range map[string]string{
		"nope":                          "No such image: nope:latest",
		"busybox:1.0":                   "No such image: busybox:1.0",
		"example.com/team/app":          "No such image: example.com/team/app:latest",
		"sha256:" + hex[:63] + "x":      "No such image",
		digest.FromString("x").String(): "No such image: " + digest.FromString("x").String(),
	} {
		_, err := e.svc.Resolve(ctx, name)
		wantErr(t, err, errNotFound, msg)
	}
	_, err := e.svc.Resolve(ctx, "Busybox")
	wantErr(t, err, errInvalid, "invalid reference format: repository name (library/Busybox) must be lowercase")
	_, err = e.svc.Inspect(ctx, "UPPER:x")
	wantErr(t, err, errInvalid, "invalid reference format")
}

func TestShortIDAmbiguous(t *testing.T) {
	e := newEnv(t)
	var ids []digest.Digest
	for i := range 40 {
		img := busybox(t, fixture.Options{Marker: string(rune('a' + i)), RepoTags: []string{}})
		e.load(img.DockerArchive(t))
		ids = append(ids, img.ID)
	}
	// With 40 images, some pair shares the first hex digit.
	seen := map[byte]bool{}
	var shared byte
	for _, id := range ids {
		c := id.Encoded()[0]
		if seen[c] {
			shared = c
		}
		seen[c] = true
	}
	_, err := e.svc.Resolve(context.Background(), string(shared))
	wantErr(t, err, errNotFound, "No such image: "+string(shared)+":latest")
}

func TestTag(t *testing.T) {
	e := newEnv(t)
	img := busybox(t, fixture.Options{})
	e.load(img.DockerArchive(t))
	ctx := context.Background()
	e.tag("berth-test/busybox", "docker.io/library/x", "")
	e.tag(img.ID.Encoded()[:12], "localhost:5000/y", "v2")
	e.tag("x", "z:9", "") // repo carrying its own tag
	in := e.inspect("x:latest")
	// Sorted as Docker sorts them: by full name (docker.io/... first).
	want := []string{"berth-test/busybox:latest", "x:latest", "z:9", "localhost:5000/y:v2"}
	if !slices.Equal(in.RepoTags, want) {
		t.Errorf("RepoTags = %v, want %v", in.RepoTags, want)
	}
	if in.Metadata.LastTagTime.IsZero() {
		t.Error("LastTagTime not set")
	}
	cases := []struct {
		source, repo, tag string
		class             error
		msg               string
	}{
		{"x", "x@" + img.ID.String(), "", errInvalid, "cannot import digest reference"},
		{"x", "Bad", "", errInvalid, "invalid reference format: repository name (library/Bad) must be lowercase"},
		{"x", "x", "bad tag", errInvalid, "invalid tag format"},
		{"x", "sha256", "", errInvalid, "refusing to create an ambiguous tag using digest algorithm as name"},
		{"x", "", "", errInvalid, "repository name must have at least one component"},
		{"missing", "y", "", errNotFound, "No such image: missing:latest"},
	}
	for _, c := range cases {
		err := e.svc.Tag(ctx, c.source, c.repo, c.tag)
		wantErr(t, err, c.class, c.msg)
	}
}

func TestDeleteUntagThenDelete(t *testing.T) {
	e := newEnv(t)
	img := busybox(t, fixture.Options{RepoTags: []string{"a:1", "a:2"}})
	e.load(img.DockerArchive(t))
	ctx := context.Background()

	resp, err := e.svc.Delete(ctx, "a:1", false, false)
	if err != nil || !slices.Equal(resp, []image.DeleteResponse{{Untagged: "a:1"}}) {
		t.Fatalf("delete a:1 = %+v, %v", resp, err)
	}
	resp, err = e.svc.Delete(ctx, "docker.io/library/a:2", false, false)
	if err != nil {
		t.Fatal(err)
	}
	// Last tag: the image and its three layers go, top layer first.
	want := []image.DeleteResponse{{Untagged: "a:2"}, {Deleted: img.ID.String()}}
	chains := chainIDs(img.DiffIDs)
	for _, c := range slices.Backward(chains) {
		want = append(want, image.DeleteResponse{Deleted: c.String()})
	}
	if !slices.Equal(resp, want) {
		t.Errorf("delete a:2 = %+v\nwant %+v", resp, want)
	}
	if e.svc.Count() != 0 || len(e.chainIDs()) != 0 || len(e.configBlobs()) != 0 {
		t.Errorf("left: %d images, layers %v, configs %v", e.svc.Count(), e.chainIDs(), e.configBlobs())
	}
	_, err = e.svc.Delete(ctx, "a:2", false, false)
	wantErr(t, err, errNotFound, "No such image: a:2")
}

func TestDeleteByIDMultipleRepos(t *testing.T) {
	e := newEnv(t)
	img := busybox(t, fixture.Options{RepoTags: []string{"a:1", "b:1"}})
	e.load(img.DockerArchive(t))
	ctx := context.Background()
	short := img.ID.Encoded()[:12]
	_, err := e.svc.Delete(ctx, short, false, false)
	wantErr(t, err, errConflict, "conflict: unable to delete "+short+" (must be forced) - image is referenced in multiple repositories")
	if e.svc.Count() != 1 {
		t.Fatal("image deleted despite conflict")
	}
	resp, err := e.svc.Delete(ctx, img.ID.String(), true, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp) != 6 || resp[0].Untagged != "a:1" || resp[1].Untagged != "b:1" || resp[2].Deleted != img.ID.String() {
		t.Errorf("resp = %+v", resp)
	}
}

func TestDeleteByIDSingleRepo(t *testing.T) {
	e := newEnv(t)
	img := busybox(t, fixture.Options{RepoTags: []string{"a:1"}})
	e.load(img.DockerArchive(t))
	resp, err := e.svc.Delete(context.Background(), img.ID.Encoded()[:5], false, true)
	if err != nil {
		t.Fatal(err)
	}
	if resp[0].Untagged != "a:1" || resp[1].Deleted != img.ID.String() {
		t.Errorf("resp = %+v", resp)
	}
}

func TestDeleteKeepsSharedLayers(t *testing.T) {
	e := newEnv(t)
	a := busybox(t, fixture.Options{Marker: "a", RepoTags: []string{"a:1"}})
	b := busybox(t, fixture.Options{Marker: "b", RepoTags: []string{"b:1"}})
	e.load(a.DockerArchive(t))
	e.load(b.DockerArchive(t))
	resp, err := e.svc.Delete(context.Background(), "a:1", false, false)
	if err != nil {
		t.Fatal(err)
	}
	// a's layers 2 and 3 go; the shared base stays.
	if len(resp) != 4 {
		t.Errorf("resp = %+v", resp)
	}
	if _, err := e.layers.Get(a.DiffIDs[0]); err != nil {
		t.Error("shared base layer removed")
	}
	if n := len(e.chainIDs()); n != 3 {
		t.Errorf("%d layers left, want 3", n)
	}
	e.inspect("b:1")
}

func TestDeleteContainerConflicts(t *testing.T) {
	e := newEnv(t)
	img := busybox(t, fixture.Options{RepoTags: []string{"a:1"}})
	e.load(img.DockerArchive(t))
	ctx := context.Background()
	running := true
	e.svc.SetContainerChecker(func(id digest.Digest) (string, bool) {
		if id == img.ID {
			return "0123456789abcdef0123", running
		}
		return "", false
	})
	short := img.ID.Encoded()[:12]
	_, err := e.svc.Delete(ctx, "a:1", false, false)
	wantErr(t, err, errConflict, `conflict: unable to remove repository reference "a:1" (must force) - container 0123456789ab is using its referenced image `+short)
	_, err = e.svc.Delete(ctx, short, true, false)
	wantErr(t, err, errConflict, "conflict: unable to delete "+short+" (cannot be forced) - image is being used by running container 0123456789ab")
	running = false
	_, err = e.svc.Delete(ctx, short, false, false)
	wantErr(t, err, errConflict, "conflict: unable to delete "+short+" (must be forced) - image is being used by stopped container 0123456789ab")
	// Forced untag of the only tag leaves the image, used by the container.
	resp, err := e.svc.Delete(ctx, "a:1", true, false)
	if err != nil {
		t.Fatal(err)
	}
	// Untag, delete, 3 layers: force deletes a stopped container's image.
	if len(resp) != 5 || resp[0].Untagged != "a:1" || resp[1].Deleted != img.ID.String() {
		t.Errorf("resp = %+v", resp)
	}
}
