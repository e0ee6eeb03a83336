package layer

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// A container's changes through overlay: docker diff's list, and the layer
// tar commit registers (whiteouts and opaque directories as OCI files),
// which stacked on the image gives the container's view back.
func TestChangesAndRWDiff(t *testing.T) {
	requireRoot(t)
	ts := newTestStore(t)
	base := register(t, ts.Store, makeTar(t, dir("etc/"), file("etc/motd", "hello\n"), file("etc/group", "g"),
		dir("opq/"), file("opq/old", "o"), dir("same/"), file("same/f", "f")), "")
	if err := ts.CreateRW("c1", base.ChainID); err != nil {
		t.Fatal(err)
	}
	merged, err := ts.MountRW("c1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ts.RemoveRW("c1") })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(merged, "etc/motd"), []byte("changed\n"), 0o644))
	must(os.Remove(filepath.Join(merged, "etc/group")))
	must(os.MkdirAll(filepath.Join(merged, "new/sub"), 0o755))
	must(os.WriteFile(filepath.Join(merged, "new/sub/f"), []byte("n"), 0o644))
	must(os.RemoveAll(filepath.Join(merged, "opq")))
	must(os.Mkdir(filepath.Join(merged, "opq"), 0o755)) // overlay makes it opaque
	must(os.WriteFile(filepath.Join(merged, "opq/new"), []byte("x"), 0o644))
	must(os.Symlink("/etc", filepath.Join(merged, "link")))

	changes, err := ts.Changes("c1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, string("CAD"[c.Kind])+" "+c.Path)
	}
	want := []string{"C /etc", "D /etc/group", "C /etc/motd", "A /link", "A /new", "A /new/sub", "A /new/sub/f", "D /opq", "A /opq/new"}
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n%q\nwant\n%q", got, want)
	}

	diff, err := ts.RWDiff("c1")
	if err != nil {
		t.Fatal(err)
	}
	top, err := ts.Register(diff, base.ChainID)
	diff.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateRW("c2", top.ChainID); err != nil {
		t.Fatal(err)
	}
	merged2, err := ts.MountRW("c2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ts.RemoveRW("c2") })
	for p, want := range map[string]string{"etc/motd": "changed\n", "new/sub/f": "n", "opq/new": "x"} {
		if b, err := os.ReadFile(filepath.Join(merged2, p)); err != nil || string(b) != want {
			t.Errorf("committed %s: %q %v", p, b, err)
		}
	}
	for _, p := range []string{"etc/group", "opq/old"} {
		if _, err := os.Lstat(filepath.Join(merged2, p)); !os.IsNotExist(err) {
			t.Errorf("committed %s still there: %v", p, err)
		}
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(merged2, "link"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
		t.Errorf("committed symlink: %v", err)
	}
}
