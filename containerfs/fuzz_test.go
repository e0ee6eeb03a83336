package containerfs

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"

	"github.com/berth/berth/test/testenv"
)

// FuzzExtract feeds arbitrary tars to Extract in a container root whose
// symlinks point out of it, and checks that nothing outside ever changes.
// Run: go test -run XXX -fuzz FuzzExtract -fuzztime 60s -fuzzminimizetime 1x ./containerfs/
// (the view runs on another thread, so coverage differs from run to run;
// without -fuzzminimizetime the engine spends its time minimizing).
func FuzzExtract(f *testing.F) {
	testenv.RequireRoot(f)
	for _, seed := range [][]byte{
		makeTar(f, dir("d/"), file("d/f", "data"), hardlink("d/h", "d/f"), symlink("d/s", "f")),
		makeTar(f, file("../outside/x", "x"), hardlink("h", "../../outside/secret"), symlink("l", "../../outside")),
		makeTar(f, file("toroot/outside/secret", "pwned"), file("abs-outside/secret", "pwned"), file("rel-outside/y", "y")),
		makeTar(f, symlink("a", "/"), file("a/outside/secret", "x"), symlink("b", "../.."), file("b/outside/z", "z")),
		makeTar(f, hardlink("toroot/h2", "abs-outside/secret"), hardlink("x", "rel-outside/secret")),
		[]byte("garbage"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newSandbox(t)
		v := s.view(t)
		_ = v.Extract(bytes.NewReader(data), "/sub", ExtractOptions{})
		v.Close()
		s.checkOutside(t)
	})
}

func tarNames(tb testing.TB, b []byte) []string {
	tb.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			tb.Fatal(err)
		}
		names = append(names, hdr.Name)
	}
}
