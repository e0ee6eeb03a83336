package layer

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRegister feeds arbitrary streams to Register and checks that nothing
// ever appears outside the store root, nor stays in its tmp directory.
// Run: go test -fuzz FuzzRegister -fuzztime 60s ./layer/
func FuzzRegister(f *testing.F) {
	requireRoot(f)
	sentinel := filepath.Join(os.TempDir(), "berth-layer-fuzz-sentinel")
	if err := os.MkdirAll(sentinel, 0o755); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.Remove(sentinel) }) // only if empty; fuzz workers share it
	escape := makeTar(f, symlink("a", sentinel), file("a/x", "x"), symlink("b", "../../../.."), file("b/x", "x"))
	for _, seed := range [][]byte{
		makeTar(f, dir("d/"), file("d/f", "data"), hardlink("d/h", "d/f"), symlink("d/s", "f"),
			file("d/.wh.w", ""), file("e/.wh..wh..opq", ""),
			entry{Header: tar.Header{Typeflag: tar.TypeFifo, Name: "p"}}),
		escape,
		compress(f, "gzip", escape),
		compress(f, "zstd", escape),
		makeTar(f, file("../x", "x"), hardlink("h", "../../x"), file(sentinel+"/x", "x")),
		sparseBomb(f, false),
		sparseBomb(f, true),
		[]byte("garbage"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		root := filepath.Join(base, "in", "root")
		s, err := NewStore(root, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.syncfs = false
		if l, err := s.Register(bytes.NewReader(data), ""); err == nil {
			rc, err := s.Diff(l.ChainID)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, rc) // may fail (ErrDataLoss), must not hang
			rc.Close()
		}
		for dir, want := range map[string]int{base: 1, filepath.Join(base, "in"): 1, filepath.Join(root, "tmp"): 0} {
			if names := readDirNames(t, dir); len(names) != want {
				t.Fatalf("%s holds %v", dir, names)
			}
		}
		if names, err := os.ReadDir(sentinel); len(names) > 0 || (err != nil && !errors.Is(err, fs.ErrNotExist)) {
			t.Fatalf("%s holds %v (%v)", sentinel, names, err)
		}
	})
}
