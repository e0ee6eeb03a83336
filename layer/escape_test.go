package layer

import (
	"archive/tar"
	"bytes"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
)

// Tars that try to write outside the layer must fail or stay inside; in no
// case may anything appear next to the store root.
func TestApplyEscapes(t *testing.T) {
	tests := []struct {
		name    string
		entries func(ts *testStore) []entry
		inside  func(ts *testStore) string // for tars that may succeed: where "x" lands
	}{
		{name: "dotdot", entries: func(ts *testStore) []entry {
			return []entry{file("../x", "x")}
		}},
		{name: "dotdot deep", entries: func(ts *testStore) []entry {
			return []entry{file("a/../../../outside/x", "x")}
		}},
		{name: "absolute", inside: func(ts *testStore) string { return ts.outside[1:] + "/x" }, entries: func(ts *testStore) []entry {
			return []entry{file(ts.outside+"/x", "x")}
		}},
		{name: "absolute symlink parent", entries: func(ts *testStore) []entry {
			return []entry{symlink("a", ts.outside), file("a/file", "x")}
		}},
		{name: "relative symlink parent", entries: func(ts *testStore) []entry {
			return []entry{symlink("a", "../.."), file("a/b", "x")}
		}},
		{name: "symlink deeper in the parent path", entries: func(ts *testStore) []entry {
			return []entry{dir("d/"), symlink("d/l", ts.sentinel), file("d/l/sub/file", "x")}
		}},
		{name: "symlink parent of a directory", entries: func(ts *testStore) []entry {
			return []entry{symlink("a", ts.outside), dir("a/newdir/")}
		}},
		{name: "symlink parent of a whiteout", entries: func(ts *testStore) []entry {
			return []entry{symlink("a", ts.outside), file("a/.wh.x", "")}
		}},
		{name: "symlink parent of an opaque marker", entries: func(ts *testStore) []entry {
			return []entry{symlink("a", ts.outside), file("a/.wh..wh..opq", "")}
		}},
		{name: "symlink parent of a hardlink", entries: func(ts *testStore) []entry {
			return []entry{file("f", "x"), symlink("a", ts.outside), hardlink("a/h", "f")}
		}},
		{name: "symlink parent of a device", entries: func(ts *testStore) []entry {
			return []entry{symlink("a", ts.outside), {Header: tar.Header{Typeflag: tar.TypeFifo, Name: "a/p"}}}
		}},
		{name: "file over a symlink", inside: func(*testStore) string { return "s" }, entries: func(ts *testStore) []entry {
			return []entry{symlink("s", ts.outside+"/f"), file("/s", "x")}
		}},
		{name: "hardlink to parent's file", entries: func(ts *testStore) []entry {
			return []entry{hardlink("l", "../../etc/passwd")}
		}},
		{name: "hardlink to an absolute path", entries: func(ts *testStore) []entry {
			return []entry{hardlink("l", "/etc/passwd")}
		}},
		{name: "hardlink through a symlink", entries: func(ts *testStore) []entry {
			return []entry{symlink("etc", "/etc"), hardlink("l", "etc/passwd")}
		}},
		{name: "whiteout of dotdot", entries: func(ts *testStore) []entry {
			return []entry{dir("d/"), file("d/.wh...", "")}
		}},
		{name: "whiteout with content", entries: func(ts *testStore) []entry {
			return []entry{file(".wh.x", "data")}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestStore(t)
			l, err := ts.Register(bytes.NewReader(makeTar(t, tt.entries(ts)...)), "")
			switch {
			case err == nil && tt.inside == nil:
				t.Errorf("registered, want an error")
			case err != nil && !errdefs.IsInvalidArgument(err):
				t.Errorf("error %v, want an invalid argument", err)
			case err == nil:
				dir, _ := ts.Dir(l.ChainID)
				checkContent(t, dir, tt.inside(ts), "x")
			}
			t.Log(err)
			ts.checkConfined(t)
			if err != nil && len(readDirNames(t, filepath.Join(ts.root, "sha256"))) != 0 {
				t.Errorf("a failed registration left a layer")
			}
		})
	}
}
