package layer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
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
	if mounted, _ := isMountPoint(merged); mounted {
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
	if mounted, _ := isMountPoint(merged); mounted {
		t.Error("still mounted")
	}
}
