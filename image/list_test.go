package image

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/berth/berth/api/filters"
	"github.com/berth/berth/test/fixture"
	"github.com/opencontainers/go-digest"
)

// withParent returns a docker-archive holding parent (untagged) and child,
// whose manifest entry names parent as its Parent (a locally built chain).
func withParent(t *testing.T, parent, child *fixture.Image) []byte {
	t.Helper()
	_, pf := members(t, parent.DockerArchive(t))
	_, cf := members(t, child.DockerArchive(t))
	var pm, cm []map[string]any
	json.Unmarshal(pf["manifest.json"], &pm)
	json.Unmarshal(cf["manifest.json"], &cm)
	cm[0]["Parent"] = parent.ID.String()
	files := map[string]string{}
	for _, m := range []map[string][]byte{pf, cf} {
		for n, b := range m {
			files[n] = string(b)
		}
	}
	mb, _ := json.Marshal(append(pm, cm[0]))
	files["manifest.json"] = string(mb)
	delete(files, "index.json")
	return tarOf(t, files)
}

func args(kv ...string) filters.Args {
	a := filters.Args{}
	for i := 0; i < len(kv); i += 2 {
		if a[kv[i]] == nil {
			a[kv[i]] = map[string]bool{}
		}
		a[kv[i]][kv[i+1]] = true
	}
	return a
}

func TestListFilters(t *testing.T) {
	e := newEnv(t)
	day := func(n int) time.Time { return fixture.Epoch.AddDate(0, 0, n) }
	old := busybox(t, fixture.Options{Marker: "old", Created: day(0), RepoTags: []string{"old:1"}, Labels: map[string]string{"tier": "base"}})
	mid := busybox(t, fixture.Options{Marker: "mid", Created: day(1), RepoTags: []string{"example.com/mid:1", "example.com/mid:2"}, Labels: map[string]string{"tier": "app", "x": "y"}})
	dangling := busybox(t, fixture.Options{Marker: "dangling", Created: day(2), RepoTags: []string{}})
	parent := busybox(t, fixture.Options{Marker: "parent", Created: day(3), RepoTags: []string{}})
	child := busybox(t, fixture.Options{Marker: "child", Created: day(4), RepoTags: []string{"child:1"}})
	for _, img := range []*fixture.Image{old, mid, dangling} {
		e.load(img.DockerArchive(t))
	}
	e.load(withParent(t, parent, child))

	idsOf := func(opts ListOptions) []digest.Digest {
		var out []digest.Digest
		for _, s := range e.list(opts) {
			out = append(out, digest.Digest(s.ID))
		}
		return out
	}
	cases := []struct {
		name string
		opts ListOptions
		want []*fixture.Image
	}{
		{"default hides intermediate", ListOptions{}, []*fixture.Image{child, dangling, mid, old}},
		{"all", ListOptions{All: true}, []*fixture.Image{child, parent, dangling, mid, old}},
		{"dangling=true", ListOptions{Filters: args("dangling", "true")}, []*fixture.Image{dangling}},
		{"dangling=false", ListOptions{Filters: args("dangling", "false")}, []*fixture.Image{child, mid, old}},
		{"label key", ListOptions{Filters: args("label", "tier")}, []*fixture.Image{mid, old}},
		{"label kv", ListOptions{Filters: args("label", "tier=app")}, []*fixture.Image{mid}},
		{"two labels", ListOptions{Filters: args("label", "tier", "label", "x=y")}, []*fixture.Image{mid}},
		{"reference glob", ListOptions{Filters: args("reference", "example.com/*")}, []*fixture.Image{mid}},
		{"reference tag", ListOptions{Filters: args("reference", "*:1")}, []*fixture.Image{child, old}}, // * stops at /, as in Docker
		{"reference name", ListOptions{Filters: args("reference", "old")}, []*fixture.Image{old}},
		{"before", ListOptions{Filters: args("before", "example.com/mid:1")}, []*fixture.Image{old}},
		{"since", ListOptions{Filters: args("since", "example.com/mid:2")}, []*fixture.Image{child, dangling}},
		{"until", ListOptions{Filters: args("until", day(1).Add(time.Hour).Format(time.RFC3339))}, []*fixture.Image{mid, old}},
		{"until unix", ListOptions{Filters: args("until", fmt.Sprint(day(0).Unix()+1))}, []*fixture.Image{old}},
	}
	for _, c := range cases {
		var want []digest.Digest
		for _, img := range c.want {
			want = append(want, img.ID)
		}
		if got := idsOf(c.opts); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", c.name, got, want)
		}
	}
	// The reference filter also narrows RepoTags.
	if l := e.list(ListOptions{Filters: args("reference", "*/mid:2")}); len(l) != 1 || !slices.Equal(l[0].RepoTags, []string{"example.com/mid:2"}) {
		t.Errorf("reference */mid:2 = %+v", l)
	}
	if l := e.list(ListOptions{All: true}); l[0].ParentID != parent.ID.String() {
		t.Errorf("ParentID = %q", l[0].ParentID)
	}
	_, err := e.svc.List(context.Background(), ListOptions{Filters: args("bogus", "1")})
	wantErr(t, err, errInvalid, "invalid filter 'bogus'")
	_, err = e.svc.List(context.Background(), ListOptions{Filters: args("dangling", "maybe")})
	wantErr(t, err, errInvalid, "invalid filter 'dangling=maybe'")
	_, err = e.svc.List(context.Background(), ListOptions{Filters: args("before", "nope")})
	wantErr(t, err, errNotFound, "No such image: nope:latest")
	_, err = e.svc.List(context.Background(), ListOptions{Filters: args("until", "yesterday")})
	wantErr(t, err, errInvalid, "failed to parse value as time or duration")
}

func TestHistoryWithParent(t *testing.T) {
	e := newEnv(t)
	parent := busybox(t, fixture.Options{Marker: "parent", RepoTags: []string{}})
	child := busybox(t, fixture.Options{Marker: "child", RepoTags: []string{"child:1"}})
	e.load(withParent(t, parent, child))
	h, err := e.svc.History(context.Background(), "child:1")
	if err != nil {
		t.Fatal(err)
	}
	if h[0].ID != child.ID.String() || h[1].ID != parent.ID.String() || h[1].Tags != nil || h[2].ID != "<missing>" {
		t.Errorf("history = %+v", h)
	}
	// The parent cannot go while its child exists.
	_, err = e.svc.Delete(context.Background(), parent.ID.String(), true, false)
	wantErr(t, err, errConflict, "(cannot be forced) - image has dependent child images")
	// Deleting the child prunes the untagged parent, unless noPrune.
	resp, err := e.svc.Delete(context.Background(), "child:1", false, true)
	if err != nil || e.svc.Count() != 1 {
		t.Fatalf("noprune delete: %+v, %v, %d images", resp, err, e.svc.Count())
	}
	e.load(withParent(t, parent, child))
	resp, err = e.svc.Delete(context.Background(), "child:1", false, false)
	if err != nil || e.svc.Count() != 0 {
		t.Fatalf("delete: %+v, %v, %d images", resp, err, e.svc.Count())
	}
}

func TestSharedSizeAndDiskUsage(t *testing.T) {
	e := newEnv(t)
	a := busybox(t, fixture.Options{Marker: "a", RepoTags: []string{"a:1"}})
	b := busybox(t, fixture.Options{Marker: "b", RepoTags: []string{"b:1"}})
	e.load(a.DockerArchive(t))
	e.load(b.DockerArchive(t))
	du, err := e.svc.DiskUsage(context.Background())
	if err != nil || len(du) != 2 {
		t.Fatalf("disk usage = %+v, %v", du, err)
	}
	base, err := e.layers.Get(a.DiffIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range du {
		if s.SharedSize != base.Size || s.Size <= s.SharedSize {
			t.Errorf("summary = %+v, base layer %d", s, base.Size)
		}
	}
}
