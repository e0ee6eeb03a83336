package image

import (
	"context"
	"slices"
	"testing"

	"github.com/berth/berth/test/fixture"
	"github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
)

func deletedIDs(rep image.PruneReport) []string {
	var out []string
	for _, d := range rep.ImagesDeleted {
		if d.Deleted != "" {
			out = append(out, d.Deleted)
		}
	}
	return out
}

func TestPrune(t *testing.T) {
	e := newEnv(t)
	tagged := busybox(t, fixture.Options{Marker: "tagged", RepoTags: []string{"a:1"}, Labels: map[string]string{"keep": "yes"}})
	used := busybox(t, fixture.Options{Marker: "used", RepoTags: []string{"used:1"}})
	dangling := busybox(t, fixture.Options{Marker: "dangling", RepoTags: []string{}})
	parent := busybox(t, fixture.Options{Marker: "parent", RepoTags: []string{}})
	child := busybox(t, fixture.Options{Marker: "child", RepoTags: []string{"child:1"}})
	for _, img := range []*fixture.Image{tagged, used, dangling} {
		e.load(img.DockerArchive(t))
	}
	e.load(withParent(t, parent, child))
	e.svc.SetContainerChecker(func(id digest.Digest) (string, bool) {
		if id == used.ID {
			return "c0ffee", false
		}
		return "", false
	})
	ctx := context.Background()

	rep, err := e.svc.Prune(ctx, args())
	if err != nil {
		t.Fatal(err)
	}
	// Only the dangling image goes; its two own layers with it.
	if got := deletedIDs(rep); len(got) != 3 || got[0] != dangling.ID.String() || rep.SpaceReclaimed == 0 {
		t.Errorf("dangling prune = %+v", rep)
	}
	rep, err = e.svc.Prune(ctx, args("dangling", "false", "label!", "keep"))
	if err != nil {
		t.Fatal(err)
	}
	// child and, with it, its untagged parent; not the labelled one, not the used one.
	got := deletedIDs(rep)
	if !slices.Contains(got, child.ID.String()) || !slices.Contains(got, parent.ID.String()) ||
		slices.Contains(got, tagged.ID.String()) || slices.Contains(got, used.ID.String()) {
		t.Errorf("prune all = %+v", rep)
	}
	if e.svc.Count() != 2 {
		t.Errorf("%d images left, want 2", e.svc.Count())
	}
	rep, err = e.svc.Prune(ctx, args("dangling", "false", "until", "1h"))
	if err != nil || len(deletedIDs(rep)) == 0 {
		t.Errorf("until prune = %+v, %v", rep, err)
	}
	_, err = e.svc.Prune(ctx, args("reference", "x"))
	wantErr(t, err, errInvalid, "invalid filter 'reference'")
	_, err = e.svc.Prune(ctx, args("until", "1h", "until", "2h"))
	wantErr(t, err, errInvalid, "more than one until filter specified")
}
