package mountinfo

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestIsMountPoint(t *testing.T) {
	if ok, err := IsMountPoint("/proc"); err != nil || !ok {
		t.Errorf("/proc: %v %v", ok, err)
	}
	dir := t.TempDir()
	if ok, err := IsMountPoint(dir); err != nil || ok {
		t.Errorf("a plain directory: %v %v", ok, err)
	}
	if os.Geteuid() != 0 {
		return
	}
	spaced := dir + "/with space"
	if err := os.Mkdir(spaced, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", spaced, "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(spaced, unix.MNT_DETACH)
	if ok, err := IsMountPoint(spaced); err != nil || !ok {
		t.Errorf("a tmpfs on a path with a space: %v %v", ok, err)
	}
}
