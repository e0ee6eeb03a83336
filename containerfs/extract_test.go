package containerfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/berth/berth/test/testenv"
	"github.com/containerd/errdefs"
)

func TestExtractRefusesEscapes(t *testing.T) {
	testenv.RequireRoot(t)
	for _, tc := range []struct {
		name    string
		tar     []entry
		wantErr string
	}{
		{"dotdot", []entry{file("../outside/pwn", "x")}, "outside of"},
		{"deep dotdot", []entry{file("a/../../../outside/pwn", "x")}, "outside of"},
		{"symlink out", []entry{symlink("l", "../../outside")}, "invalid symlink"},
		{"hardlink out", []entry{hardlink("h", "../../outside/secret")}, "invalid hardlink"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			v := s.view(t)
			defer v.Close()
			err := v.Extract(bytes.NewReader(makeTar(t, tc.tar...)), "/sub", ExtractOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errdefs.IsInvalidArgument(err) {
				t.Fatalf("got %v, want an invalid-argument error with %q", err, tc.wantErr)
			}
			s.checkOutside(t)
		})
	}
}

// Symlinks in the container that point out of it are followed inside it.
func TestExtractThroughSymlinksStaysInside(t *testing.T) {
	testenv.RequireRoot(t)
	s := newSandbox(t)
	v := s.view(t)
	defer v.Close()
	tarball := makeTar(t, file("toroot/a", "1"), dir("rel-outside/"), file("rel-outside/c", "3"), hardlink("toroot/h", "toroot/a"))
	must(t, v.Extract(bytes.NewReader(tarball), "/sub", ExtractOptions{}))
	// The extraction point itself may be such a symlink.
	must(t, v.Extract(bytes.NewReader(makeTar(t, file("d", "4"))), "/sub/toroot", ExtractOptions{}))
	// abs-outside names a host path, which does not exist in the container.
	if err := v.Extract(bytes.NewReader(makeTar(t, file("abs-outside/b", "2"))), "/sub", ExtractOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("through a symlink to a host path: %v", err)
	}
	if err := v.Extract(bytes.NewReader(makeTar(t, file("b", "2"))), "/sub/abs-outside", ExtractOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("into a symlink to a host path: %v", err)
	}
	s.checkOutside(t)
	for p, want := range map[string]string{"a": "1", "h": "1", "sub/rel-outside/c": "3", "d": "4"} {
		b, err := os.ReadFile(filepath.Join(s.root, p))
		if err != nil || string(b) != want {
			t.Errorf("%s in the container: %q %v, want %q", p, b, err, want)
		}
	}
}

func TestExtractNoOverwriteDirNonDir(t *testing.T) {
	testenv.RequireRoot(t)
	s := newSandbox(t)
	v := s.view(t)
	defer v.Close()
	must(t, os.Mkdir(filepath.Join(s.root, "sub", "d"), 0o755))
	must(t, os.WriteFile(filepath.Join(s.root, "sub", "f"), nil, 0o644))
	opts := ExtractOptions{NoOverwriteDirNonDir: true}
	if err := v.Extract(bytes.NewReader(makeTar(t, file("d", "x"))), "/sub", opts); err == nil || !strings.Contains(err.Error(), "cannot overwrite directory") {
		t.Errorf("file over dir: %v", err)
	}
	if err := v.Extract(bytes.NewReader(makeTar(t, dir("f/"))), "/sub", opts); err == nil || !strings.Contains(err.Error(), "cannot overwrite non-directory") {
		t.Errorf("dir over file: %v", err)
	}
	if err := v.Extract(bytes.NewReader(makeTar(t, file("x", "x"))), "/sub/f", opts); err != ErrNotDirectory {
		t.Errorf("into a file: %v", err)
	}
	if err := v.Extract(bytes.NewReader(makeTar(t, file("x", "x"))), "/missing", opts); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("into a missing dir: %v", err)
	}
}

func TestArchiveAndStat(t *testing.T) {
	testenv.RequireRoot(t)
	s := newSandbox(t)
	v := s.view(t)
	defer v.Close()
	must(t, v.Extract(bytes.NewReader(makeTar(t, dir("d/"), file("d/f", "hello"), symlink("d/l", "f"))), "/sub", ExtractOptions{}))
	st, err := v.Stat("/sub/toroot")
	if err != nil || st.LinkTarget != "/" || st.Name != "toroot" {
		t.Errorf("stat of a symlink to /: %+v %v", st, err)
	}
	st, err = v.Stat("/sub/abs-outside")
	if err != nil || st.LinkTarget != s.outside {
		t.Errorf("stat of a symlink out: %+v %v (its target must be resolved in the container)", st, err)
	}
	for path, want := range map[string][]string{
		"/sub/d":        {"d/", "d/f", "d/l"},
		"/sub/d/.":      {"./", "./f", "./l"},
		"/sub/d/f":      {"f"},
		"/sub/toroot":   {"toroot"},
		"/sub/toroot/.": {"./", "./sub/"},
	} {
		var buf bytes.Buffer
		if err := v.Archive(&buf, path); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got := tarNames(t, buf.Bytes())
		if len(got) < len(want) || !equalPrefix(got, want) {
			t.Errorf("archive of %s: %q, want %q first", path, got, want)
		}
	}
	// A path through a symlink out of the container reads the container's.
	var buf bytes.Buffer
	if err := v.Archive(&buf, "/sub/abs-outside/secret"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("archive through a symlink out: %v", err)
	}
	s.checkOutside(t)
}

func equalPrefix(got, want []string) bool {
	for i := range want {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// A view with binds mounts them (read-only ones refuse writes) in its own
// mount namespace only: nothing stays mounted after Close.
func TestViewBinds(t *testing.T) {
	testenv.RequireRoot(t)
	s := newSandbox(t)
	vol := t.TempDir()
	must(t, os.WriteFile(filepath.Join(vol, "v"), []byte("vol"), 0o644))
	v, err := Open(Options{
		MountRoot: func() (string, error) { return s.root, nil },
		Binds: []Bind{{Source: vol, Destination: "/sub/toroot/data/ro"}, {Source: vol, Destination: "/data/rw", RW: true},
			{Source: filepath.Join(vol, "v"), Destination: "/file"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	must(t, v.Archive(&buf, "/data/ro/v"))
	if got := tarNames(t, buf.Bytes()); len(got) != 1 || got[0] != "v" {
		t.Errorf("archive from a bind: %q", got)
	}
	if st, err := v.Stat("/file"); err != nil || st.Size != 3 {
		t.Errorf("file bind: %+v %v", st, err)
	}
	err = v.Extract(bytes.NewReader(makeTar(t, file("w", "x"))), "/data/ro", ExtractOptions{})
	if !errors.Is(err, syscall.EROFS) {
		t.Errorf("write to a read-only bind: %v", err)
	}
	must(t, v.Extract(bytes.NewReader(makeTar(t, file("w", "x"))), "/data/rw", ExtractOptions{}))
	v.Close()
	if _, err := os.Stat(filepath.Join(vol, "w")); err != nil {
		t.Errorf("write through the rw bind: %v", err)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), s.root) {
		t.Errorf("mounts left in the host namespace:\n%s", mounts)
	}
	// The mount points were made inside the container root.
	if _, err := os.Stat(filepath.Join(s.root, "data", "ro")); err != nil {
		t.Errorf("mount point through a symlink to /: %v", err)
	}
	s.checkOutside(t)
}
