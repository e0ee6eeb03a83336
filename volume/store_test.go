package volume

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berth/berth/api/filters"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/volume"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "volumes"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func names(vs []volume.Volume) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

func TestCreateInspectReload(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v, err := s.Create(ctx, volume.CreateRequest{Name: "data", Labels: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Mountpoint != filepath.Join(s.root, "data", "_data") || v.Scope != "local" || v.Driver != "local" || v.CreatedAt == "" || v.Labels["a"] != "1" {
		t.Errorf("created %+v", v)
	}
	if fi, err := os.Stat(v.Mountpoint); err != nil || !fi.IsDir() {
		t.Errorf("mountpoint: %v", err)
	}
	again, err := s.Create(ctx, volume.CreateRequest{Name: "data"})
	if err != nil || !reflect.DeepEqual(again, v) {
		t.Errorf("create existing = %+v, %v", again, err)
	}
	anon, err := s.Create(ctx, volume.CreateRequest{})
	if err != nil || len(anon.Name) != 64 {
		t.Fatalf("anonymous = %+v, %v", anon, err)
	}
	s2, err := New(s.root, s.log)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Inspect(ctx, "data")
	if err != nil || !reflect.DeepEqual(got, v) {
		t.Errorf("after reload %+v, %v; want %+v", got, err, v)
	}
	if _, err := s2.Inspect(ctx, "nope"); !errdefs.IsNotFound(err) || err.Error() != "get nope: no such volume" {
		t.Errorf("missing: %v", err)
	}
}

func TestCreateRefusals(t *testing.T) {
	s := newStore(t)
	cases := []struct {
		req   volume.CreateRequest
		class func(error) bool
		msg   string
	}{
		{volume.CreateRequest{Name: "a b"}, errdefs.IsInvalidArgument, `create a b: "a b" includes invalid characters for a local volume name`},
		{volume.CreateRequest{Name: "x"}, errdefs.IsInvalidArgument, "too short"},
		{volume.CreateRequest{Name: "v1", DriverOpts: map[string]string{"type": "tmpfs"}}, errdefs.IsInvalidArgument, `missing required option: "device"`},
		{volume.CreateRequest{Name: "v1", DriverOpts: map[string]string{"o": "size=1m", "device": "tmpfs"}}, errdefs.IsInvalidArgument, `missing required option: "type"`},
		{volume.CreateRequest{Name: "v1", DriverOpts: map[string]string{"foo": "bar"}}, errdefs.IsInvalidArgument, `invalid option: "foo"`},
		{volume.CreateRequest{Name: "v1", Driver: "nfs"}, errdefs.IsNotFound, `plugin "nfs" not found`},
	}
	for _, c := range cases {
		_, err := s.Create(context.Background(), c.req)
		if err == nil || !c.class(err) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Create(%+v) = %v, want %q", c.req, err, c.msg)
		}
	}
	if vs, _ := s.List(context.Background(), ListOptions{}); len(vs) != 0 {
		t.Errorf("refused creates left %v", names(vs))
	}
}

func TestRefsRemoveListPrune(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, req := range []volume.CreateRequest{
		{Name: "named1", Labels: map[string]string{"keep": "yes"}},
		{Name: "named2"},
		{Name: "inuse"},
	} {
		if _, err := s.Create(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	anon, _ := s.Create(ctx, volume.CreateRequest{})
	if err := s.Ref("inuse", "c1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ref("nope", "c1"); !errdefs.IsNotFound(err) {
		t.Errorf("ref missing: %v", err)
	}
	err := s.Remove(ctx, "inuse", true)
	if !errdefs.IsConflict(err) || err.Error() != "remove inuse: volume is in use - [c1]" {
		t.Errorf("remove in use: %v", err)
	}
	if err := s.Remove(ctx, "nope", true); err != nil {
		t.Errorf("force remove missing: %v", err)
	}
	if err := s.Remove(ctx, "nope", false); !errdefs.IsNotFound(err) {
		t.Errorf("remove missing: %v", err)
	}

	list := func(f filters.Args) []string {
		t.Helper()
		vs, err := s.List(ctx, ListOptions{Filters: f})
		if err != nil {
			t.Fatal(err)
		}
		return names(vs)
	}
	if got := list(filters.Args{"dangling": {"false": true}}); !reflect.DeepEqual(got, []string{"inuse"}) {
		t.Errorf("dangling=false: %v", got)
	}
	if got := list(filters.Args{"name": {"named": true}, "dangling": {"true": true}}); !reflect.DeepEqual(got, []string{"named1", "named2"}) {
		t.Errorf("name=named: %v", got)
	}
	if got := list(filters.Args{"label": {"keep=yes": true}}); !reflect.DeepEqual(got, []string{"named1"}) {
		t.Errorf("label: %v", got)
	}
	if got := list(filters.Args{"driver": {"other": true}}); len(got) != 0 {
		t.Errorf("driver=other: %v", got)
	}
	if _, err := s.List(ctx, ListOptions{Filters: filters.Args{"bogus": {"x": true}}}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("bogus filter: %v", err)
	}

	rep, err := s.Prune(ctx, filters.Args{})
	if err != nil || !reflect.DeepEqual(rep.VolumesDeleted, []string{anon.Name}) {
		t.Errorf("prune anonymous: %+v, %v", rep, err)
	}
	rep, err = s.Prune(ctx, filters.Args{"all": {"true": true}, "label!": {"keep": true}})
	if err != nil || !reflect.DeepEqual(rep.VolumesDeleted, []string{"named2"}) {
		t.Errorf("prune all label!=keep: %+v, %v", rep, err)
	}
	s.Unref("inuse", "c1")
	if err := s.Remove(ctx, "inuse", false); err != nil {
		t.Errorf("remove after unref: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.root, "inuse")); !os.IsNotExist(err) {
		t.Errorf("directory left: %v", err)
	}
	vs, _ := s.List(ctx, ListOptions{Usage: true})
	if len(vs) != 1 || vs[0].UsageData == nil || vs[0].UsageData.RefCount != 0 || vs[0].UsageData.Size != 0 {
		t.Errorf("usage: %+v", vs)
	}
}

func TestResolveRelease(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	host := filepath.Join(t.TempDir(), "made-by-v")
	hc := &container.HostConfig{
		Binds:  []string{host + ":/h:ro", "shared:/s", "/anon"},
		Mounts: []mount.Mount{{Type: "tmpfs", Target: "/t"}},
	}
	ms, err := s.Resolve(ctx, "c1", hc, map[string]struct{}{"/img": {}})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(host); err != nil || !fi.IsDir() {
		t.Errorf("-v did not create the host dir: %v", err)
	}
	if len(ms) != 5 || ms[1].Source != s.Mountpoint("shared") || len(ms[2].Name) != 64 || len(ms[4].Name) != 64 {
		t.Fatalf("mounts %+v", ms)
	}
	if _, err := s.Resolve(ctx, "c2", &container.HostConfig{Binds: []string{"shared:/s"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "shared", false); !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "[c1, c2]") {
		t.Errorf("remove shared: %v", err)
	}
	if err := s.Release("c1", true); err != nil {
		t.Fatal(err)
	}
	vs, _ := s.List(ctx, ListOptions{})
	if got := names(vs); !reflect.DeepEqual(got, []string{"shared"}) {
		t.Errorf("after rm -v: %v", got)
	}

	// A failure rolls back: the anonymous volume made before it is gone,
	// and the named one is no longer referenced.
	bad := &container.HostConfig{
		Binds:  []string{"/x1", "shared:/s"},
		Mounts: []mount.Mount{{Type: "bind", Source: "/does/not/exist", Target: "/b"}},
	}
	_, err = s.Resolve(ctx, "c3", bad, nil)
	if err == nil || err.Error() != `invalid mount config for type "bind": bind source path does not exist: /does/not/exist` {
		t.Errorf("missing --mount source: %v", err)
	}
	vs, _ = s.List(ctx, ListOptions{Usage: true})
	if len(vs) != 1 || vs[0].UsageData.RefCount != 1 {
		t.Errorf("after failed resolve: %+v", vs)
	}
}

func TestCopyUp(t *testing.T) {
	s := newStore(t)
	rootfs := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	outside := t.TempDir()
	must(os.WriteFile(filepath.Join(outside, "secret"), []byte("no"), 0o600))
	must(os.MkdirAll(filepath.Join(rootfs, "etc/app/sub"), 0o750))
	must(os.WriteFile(filepath.Join(rootfs, "etc/app/conf"), []byte("hello"), 0o640))
	must(os.WriteFile(filepath.Join(rootfs, "etc/app/sub/f"), nil, 0o640))
	must(os.Symlink("/etc/passwd", filepath.Join(rootfs, "etc/app/link")))
	// A symlinked destination resolves inside rootfs, never to outside.
	must(os.Symlink(outside, filepath.Join(rootfs, "escape")))

	ms, err := s.Resolve(context.Background(), "c1", &container.HostConfig{Binds: []string{"cfg:/etc/app", "esc:/escape", "nc:/etc/app/sub:nocopy"}}, nil)
	must(err)
	for _, m := range ms {
		must(CopyUp(rootfs, m))
	}
	if b, err := os.ReadFile(filepath.Join(ms[0].Source, "conf")); err != nil || string(b) != "hello" {
		t.Errorf("conf: %q %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(ms[0].Source, "sub")); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("sub: %v %v", fi, err)
	}
	if l, err := os.Readlink(filepath.Join(ms[0].Source, "link")); err != nil || l != "/etc/passwd" {
		t.Errorf("link: %q %v", l, err)
	}
	if empty, _ := isEmptyDir(ms[1].Source); !empty {
		t.Errorf("escape copied content from outside rootfs")
	}
	if empty, _ := isEmptyDir(ms[2].Source); !empty {
		t.Errorf("nocopy volume was filled")
	}
	// Not empty any more: a second use copies nothing.
	must(os.WriteFile(filepath.Join(rootfs, "etc/app/new"), nil, 0o600))
	must(CopyUp(rootfs, ms[0]))
	if _, err := os.Stat(filepath.Join(ms[0].Source, "new")); !os.IsNotExist(err) {
		t.Errorf("copied into a non-empty volume: %v", err)
	}
}
