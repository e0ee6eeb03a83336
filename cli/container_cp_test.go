package cli

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestSplitCopyArg(t *testing.T) {
	for in, want := range map[string][2]string{
		"ctr:/etc":     {"ctr", "/etc"},
		"/abs:path":    {"", "/abs:path"},
		"./rel:x":      {"", "./rel:x"},
		"local":        {"", "local"},
		"ctr:":         {"ctr", ""},
		"ctr:rel/path": {"ctr", "rel/path"},
	} {
		c, p := splitCopyArg(in)
		if c != want[0] || p != want[1] {
			t.Errorf("splitCopyArg(%q) = %q, %q", in, c, p)
		}
	}
}

func TestPrepareCopy(t *testing.T) {
	file := copyInfo{Path: "/src/f", Exists: true}
	dir := copyInfo{Path: "/src/d", Exists: true, IsDir: true}
	content := copyInfo{Path: "/src/d/.", Exists: true, IsDir: true}
	for _, c := range []struct {
		src, dst         copyInfo
		wantDir, wantTop string
		err              error
	}{
		{file, copyInfo{Path: "/dst", Exists: true, IsDir: true}, "/dst", "f", nil},
		{file, copyInfo{Path: "/dst/g", Exists: true}, "/dst", "g", nil},
		{file, copyInfo{Path: "/dst/new"}, "/dst", "new", nil},
		{file, copyInfo{Path: "/dst/new/"}, "", "", errDirNotExists},
		{dir, copyInfo{Path: "/dst/g", Exists: true}, "", "", errCannotCopyDir},
		{dir, copyInfo{Path: "/dst", Exists: true, IsDir: true}, "/dst", "d", nil},
		{dir, copyInfo{Path: "/dst/new/"}, "/dst", "new", nil},
		{content, copyInfo{Path: "/dst", Exists: true, IsDir: true}, "/dst", ".", nil},
		{content, copyInfo{Path: "/dst/new"}, "/dst", "new", nil},
	} {
		dir, top, err := prepareCopy(c.src, c.dst)
		if dir != c.wantDir || top != c.wantTop || !errors.Is(err, c.err) {
			t.Errorf("prepareCopy(%+v, %+v) = %q, %q, %v; want %q, %q, %v", c.src, c.dst, dir, top, err, c.wantDir, c.wantTop, c.err)
		}
	}
}

// A tar from a container cannot write through a symlink it made, nor
// climb out of the destination.
func TestUntarLocalRefusesEscapes(t *testing.T) {
	outside := t.TempDir()
	for _, entries := range [][]*tar.Header{
		{{Name: "l", Typeflag: tar.TypeSymlink, Linkname: outside}, {Name: "l/pwn", Typeflag: tar.TypeReg, Mode: 0o644}},
		{{Name: "../pwn", Typeflag: tar.TypeReg, Mode: 0o644}},
		{{Name: "h", Typeflag: tar.TypeLink, Linkname: "../x"}},
		{{Name: "l", Typeflag: tar.TypeSymlink, Linkname: outside}, {Name: "h", Typeflag: tar.TypeLink, Linkname: "l/secret"}},
	} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range entries {
			if err := tw.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
		}
		tw.Close()
		dst := t.TempDir()
		err := untarLocal(&buf, dst)
		if err == nil || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("%s: %v", entries[len(entries)-1].Name, err)
		}
	}
	if names, _ := os.ReadDir(outside); len(names) != 0 {
		t.Errorf("written outside: %v", names)
	}
}

func TestRebaseName(t *testing.T) {
	for _, c := range [][4]string{
		{"d", "d", "x", "x"}, {"d/", "d", "x", "x/"}, {"d/a", "d", "x", "x/a"}, {"dd/a", "d", "x", "dd/a"},
		{"./a", ".", "new", "new/a"}, {"./", ".", "new", "new/"},
	} {
		if got := rebaseName(c[0], c[1], c[2]); got != c[3] {
			t.Errorf("rebaseName(%q, %q, %q) = %q, want %q", c[0], c[1], c[2], got, c[3])
		}
	}
}
