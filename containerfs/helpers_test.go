package containerfs

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// entry is one tar entry of a test archive.
type entry struct {
	tar.Header
	body string
}

func file(name, body string) entry {
	return entry{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}, body}
}
func dir(name string) entry {
	return entry{tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}, ""}
}
func symlink(name, target string) entry {
	return entry{tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target}, ""}
}
func hardlink(name, target string) entry {
	return entry{tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target}, ""}
}

func makeTar(tb testing.TB, entries ...entry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := tw.WriteHeader(&e.Header); err != nil {
			tb.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// sandbox is a base directory holding a container root and, beside it, an
// outside directory that nothing may touch; the root has symlinks that
// point out of it.
type sandbox struct {
	base, root, outside string
}

func newSandbox(tb testing.TB) sandbox {
	tb.Helper()
	base := tb.TempDir()
	s := sandbox{base: base, root: filepath.Join(base, "root"), outside: filepath.Join(base, "outside")}
	for _, d := range []string{s.root + "/sub", s.outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	must(tb, os.WriteFile(filepath.Join(s.outside, "secret"), []byte("host secret"), 0o600))
	must(tb, os.Symlink("/", filepath.Join(s.root, "sub", "toroot")))
	must(tb, os.Symlink(s.outside, filepath.Join(s.root, "sub", "abs-outside")))
	must(tb, os.Symlink("../../outside", filepath.Join(s.root, "sub", "rel-outside")))
	return s
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func (s sandbox) view(tb testing.TB) *View {
	tb.Helper()
	v, err := Open(Options{Root: s.root})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// checkOutside fails unless base holds only root/ and outside/, and
// outside holds only the untouched secret.
func (s sandbox) checkOutside(tb testing.TB) {
	tb.Helper()
	var got []string
	err := filepath.WalkDir(s.base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.base, p)
		got = append(got, rel)
		if p == s.root {
			return filepath.SkipDir
		}
		return nil
	})
	must(tb, err)
	want := []string{".", "outside", "outside/secret", "root"}
	if !slices.Equal(got, want) {
		tb.Fatalf("outside the container: %q, want %q", got, want)
	}
	b, err := os.ReadFile(filepath.Join(s.outside, "secret"))
	if err != nil || string(b) != "host secret" {
		tb.Fatalf("secret changed: %q %v", b, err)
	}
	if fi, _ := os.Stat(filepath.Join(s.outside, "secret")); fi.Mode().Perm() != 0o600 {
		tb.Fatalf("secret mode changed: %v", fi.Mode())
	}
}
