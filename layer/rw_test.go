package layer

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth/berth/mountinfo"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

func TestRWLayerLifecycle(t *testing.T) {
	requireRoot(t)
	ts := newTestStore(t)
	base := register(t, ts.Store, makeTar(t, dir("etc/"), file("etc/motd", "hello\n")), "")
	top := register(t, ts.Store, makeTar(t, file("etc/added", "x")), base.ChainID)

	if err := ts.CreateRW("c1", top.ChainID); err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateRW("c1", top.ChainID); !errdefs.IsAlreadyExists(err) {
		t.Errorf("second CreateRW: %v", err)
	}
	merged, err := ts.MountRW("c1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ts.UnmountRW("c1") })
	if again, err := ts.MountRW("c1"); err != nil || again != merged {
		t.Errorf("remount: %s %v", again, err)
	}
	if b, err := os.ReadFile(filepath.Join(merged, "etc/motd")); err != nil || string(b) != "hello\n" {
		t.Errorf("lower content: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(merged, "etc/added")); err != nil {
		t.Errorf("top layer content: %v", err)
	}
	if err := os.WriteFile(filepath.Join(merged, "new"), []byte("rw"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ts.RWDiffDir("c1"), "new")); err != nil {
		t.Errorf("change not in the rw layer: %v", err)
	}
	if err := ts.Remove(top.ChainID); !errdefs.IsConflict(err) {
		t.Errorf("removing a layer a container uses: %v", err)
	}

	// A new Store (daemon restart) knows the rw layer and its parent.
	ts2, err := NewStore(ts.root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts2.Remove(top.ChainID); !errdefs.IsConflict(err) {
		t.Errorf("after reload, removing a used layer: %v", err)
	}
	if err := ts2.RemoveRW("c1"); err != nil {
		t.Fatal(err)
	}
	if mounted, _ := mountinfo.IsMountPoint(merged); mounted {
		t.Error("still mounted after RemoveRW")
	}
	if err := ts2.Remove(top.ChainID); err != nil {
		t.Errorf("remove after the container layer is gone: %v", err)
	}
}

func TestRWLayerOfEmptyImage(t *testing.T) {
	requireRoot(t)
	ts := newTestStore(t)
	if err := ts.CreateRW("empty", ""); err != nil {
		t.Fatal(err)
	}
	merged, err := ts.MountRW("empty")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.RemoveRW("empty"); err != nil {
		t.Fatal(err)
	}
	if mounted, _ := mountinfo.IsMountPoint(merged); mounted {
		t.Error("still mounted")
	}
}

// TestRWLayerOfManyLayers: an image deeper than mount(2)'s option page
// (about 40 layers here) mounts, layer by layer, with every layer visible
// and the top one winning.
func TestRWLayerOfManyLayers(t *testing.T) {
	requireRoot(t)
	ts := newTestStore(t)
	var parent digest.Digest
	const n = 100
	for i := range n {
		l := register(t, ts.Store, makeTar(t, file(fmt.Sprintf("f%d", i), "x"), file("top", fmt.Sprint(i))), parent)
		parent = l.ChainID
	}
	if err := ts.CreateRW("deep", parent); err != nil {
		t.Fatal(err)
	}
	merged, err := ts.MountRW("deep")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ts.RemoveRW("deep") })
	for _, name := range []string{"f0", "f50", fmt.Sprintf("f%d", n-1)} {
		if _, err := os.Stat(filepath.Join(merged, name)); err != nil {
			t.Errorf("layer content %s: %v", name, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(merged, "top")); err != nil || string(b) != fmt.Sprint(n-1) {
		t.Errorf("top: %q %v, want the last layer's", b, err)
	}
	if err := os.WriteFile(filepath.Join(merged, "new"), []byte("rw"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ts.RWDiffDir("deep"), "new")); err != nil {
		t.Errorf("write not in the rw layer: %v", err)
	}
	if err := ts.UnmountRW("deep"); err != nil {
		t.Fatal(err)
	}
	if mounted, _ := mountinfo.IsMountPoint(merged); mounted {
		t.Error("still mounted after UnmountRW")
	}
}
