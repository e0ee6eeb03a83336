package layer

import (
	"os"
	"path/filepath"
)

// A container's init layer (rw/<id>/init, the topmost lower dir of its
// overlay) holds the mount points the runtime needs, as
// Docker's <id>-init layer does: made there, they exist before runc looks
// for them, so runc creates nothing in the container's rw layer, and diff
// and commit do not see them (nor a changed /etc for them).
var initEntries = []struct {
	path string
	kind string // "dir", "file" or a symlink target
}{
	{"dev/pts", "dir"}, {"dev/shm", "dir"}, {"proc", "dir"}, {"sys", "dir"},
	{".dockerenv", "file"}, {"etc/resolv.conf", "file"}, {"etc/hosts", "file"}, {"etc/hostname", "file"},
	{"dev/console", "file"}, {"etc/mtab", "/proc/mounts"},
}

// makeInitLayer fills the new directory dir with the init entries.
func makeInitLayer(dir string) error {
	for _, e := range initEntries {
		p := filepath.Join(dir, e.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		var err error
		switch e.kind {
		case "dir":
			err = os.MkdirAll(p, 0o755)
		case "file":
			var f *os.File
			if f, err = os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755); err == nil {
				err = f.Close()
			}
		default:
			err = os.Symlink(e.kind, p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// initDir is the container's init layer, if it has one (containers
// created before init layers existed have none).
func (s *Store) initDir(id string) (string, bool) {
	dir := filepath.Join(s.rwDir(id), "init")
	_, err := os.Stat(dir)
	return dir, err == nil
}
