package layer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The stored diff directories must stack as overlay lower directories:
// whiteouts hide files and opaque directories hide lower content.
func TestOverlayStack(t *testing.T) {
	ts := newTestStore(t)
	base := register(t, ts.Store, makeTar(t,
		file("a/keep", "k"), file("a/gone", "g"), file("o/lower", "l"), file("top", "t"),
	), "")
	upper := register(t, ts.Store, makeTar(t,
		dir("a/"), file("a/.wh.gone", ""),
		dir("o/"), file("o/.wh..wh..opq", ""), file("o/upper", "u"),
		file(".wh.top", ""),
	), base.ChainID)
	lower, _ := ts.Dir(base.ChainID)
	higher, _ := ts.Dir(upper.ChainID)

	mnt := mountOverlay(t, higher+":"+lower)
	for name, want := range map[string]bool{
		"a/keep": true, "a/gone": false, "o/upper": true, "o/lower": false, "top": false,
	} {
		if got := exists(t, filepath.Join(mnt, name)); got != want {
			t.Errorf("%s visible: %v, want %v", name, got, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(mnt, "a/keep")); err != nil || string(b) != "k" {
		t.Errorf("a/keep: %q, %v", b, err)
	}
}

// mountOverlay mounts a read-only overlay of lowerdirs (top first) in a
// temporary directory, unmounted when t ends.
func mountOverlay(t *testing.T, lowerdirs string) string {
	t.Helper()
	mnt := t.TempDir()
	if err := unix.Mount("overlay", mnt, "overlay", unix.MS_RDONLY, "lowerdir="+lowerdirs); err != nil {
		t.Skipf("cannot mount overlay: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount: %v", err)
			unix.Unmount(mnt, unix.MNT_DETACH)
		}
		if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), " "+mnt+" ") {
			t.Errorf("%s still mounted", mnt)
		}
	})
	return mnt
}
