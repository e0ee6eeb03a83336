package buildcontext

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

type entry struct {
	name, link string
	typ        byte
	body       string
}

func makeTar(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

// sandbox is a context dir inside a parent that holds a "secret" the
// context must never reach.
func sandbox(t testing.TB) (parent, dir string) {
	parent = t.TempDir()
	dir = filepath.Join(parent, "ctx")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(parent, "secret"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	return parent, dir
}

func TestExtractCompressedAndDockerfile(t *testing.T) {
	body := makeTar(t, []entry{{name: "Dockerfile", typ: tar.TypeReg, body: "FROM x\n"}, {name: "a/b.txt", typ: tar.TypeReg, body: "b"}})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(body)
	zw.Close()
	var xzBody bytes.Buffer
	xw, err := xz.NewWriter(&xzBody)
	if err != nil {
		t.Fatal(err)
	}
	xw.Write(body)
	xw.Close()
	for name, in := range map[string][]byte{"plain": body, "gzip": gz.Bytes(), "xz": xzBody.Bytes()} {
		dir := t.TempDir()
		if err := Extract(bytes.NewReader(in), dir, "Dockerfile"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "a", "b.txt")); string(b) != "b" {
			t.Errorf("%s: a/b.txt = %q", name, b)
		}
	}
	dir := t.TempDir()
	if err := Extract(strings.NewReader("FROM busybox\nRUN true\n"), dir, "Dockerfile"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "Dockerfile")); string(b) != "FROM busybox\nRUN true\n" {
		t.Errorf("bare Dockerfile body: %q", b)
	}
}

func TestExtractRefusesEscapes(t *testing.T) {
	cases := map[string][]entry{
		"dotdot":          {{name: "../secret", typ: tar.TypeReg, body: "x"}},
		"write via link":  {{name: "l", typ: tar.TypeSymlink, link: ".."}, {name: "l/secret", typ: tar.TypeReg, body: "x"}},
		"abs link parent": {{name: "l", typ: tar.TypeSymlink, link: "/"}, {name: "l/tmp/owned", typ: tar.TypeReg, body: "x"}},
		"hardlink out":    {{name: "h", typ: tar.TypeLink, link: "../secret"}},
	}
	for name, entries := range cases {
		parent, dir := sandbox(t)
		err := Extract(bytes.NewReader(makeTar(t, entries)), dir, "Dockerfile")
		if err == nil {
			t.Errorf("%s: extracted", name)
		}
		if b, _ := os.ReadFile(filepath.Join(parent, "secret")); string(b) != "secret" {
			t.Errorf("%s: secret overwritten", name)
		}
		if _, err := os.Stat("/tmp/owned"); err == nil {
			t.Errorf("%s: wrote /tmp/owned", name)
			os.Remove("/tmp/owned")
		}
	}
}

func TestMatchAndWalkStayInside(t *testing.T) {
	parent, dir := sandbox(t)
	body := makeTar(t, []entry{
		{name: "out", typ: tar.TypeSymlink, link: "../secret"},
		{name: "abs", typ: tar.TypeSymlink, link: filepath.Join(parent, "secret")},
		{name: "d/x.txt", typ: tar.TypeReg, body: "x"},
		{name: "d/y.txt", typ: tar.TypeReg, body: "y"},
		{name: "d/in", typ: tar.TypeSymlink, link: "x.txt"},
	})
	if err := Extract(bytes.NewReader(body), dir, "Dockerfile"); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, p := range []string{"out", "abs", "../secret", "/../secret"} {
		if got, err := Match(root, p); err == nil {
			t.Errorf("Match(%q) = %v", p, got)
		}
	}
	got, err := Match(root, "d/*.txt")
	if err != nil || !slices.Equal(got, []string{"d/x.txt", "d/y.txt"}) {
		t.Errorf("glob: %v %v", got, err)
	}
	var seen []string
	err = Walk(root, "d", func(e Entry) error {
		seen = append(seen, e.Rel+":"+e.Target)
		return nil
	})
	if err != nil || !slices.Equal(seen, []string{":", "in:x.txt", "x.txt:", "y.txt:"}) {
		t.Errorf("walk: %v %v", seen, err)
	}
}

func TestRemoveIgnored(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"keep.txt", "secret.key", "logs/a.log", "logs/keep.log", "node_modules/m/x.js"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	root, _ := os.OpenRoot(dir)
	defer root.Close()
	if err := RemoveIgnored(root, []string{"*.key", "logs", "!logs/keep.log", "node_modules"}); err != nil {
		t.Fatal(err)
	}
	var left []string
	fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if !slices.Equal(left, []string{"keep.txt", "logs/keep.log"}) {
		t.Errorf("left: %v", left)
	}
}

func fuzzSeeds(t testing.TB) [][]byte {
	return [][]byte{
		makeTar(t, []entry{{name: "../x", typ: tar.TypeReg, body: "x"}}),
		makeTar(t, []entry{{name: "l", typ: tar.TypeSymlink, link: "../.."}, {name: "l/x", typ: tar.TypeReg, body: "x"}}),
		makeTar(t, []entry{{name: "a/", typ: tar.TypeDir}, {name: "a/b", typ: tar.TypeLink, link: "../secret"}}),
		makeTar(t, []entry{{name: "d", typ: tar.TypeSymlink, link: "/"}, {name: "d/etc/x", typ: tar.TypeReg}}),
	}
}

// FuzzExtract feeds arbitrary tars to the extraction and checks that
// nothing appears outside the context directory, and that no source
// lookup reads outside it.
func FuzzExtract(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkStaysInside)
}

// TestExtractMutatedTars runs the fuzz check on seeded random mutations of
// the seeds, so that every test run covers more than the seeds.
func TestExtractMutatedTars(t *testing.T) {
	seeds := fuzzSeeds(t)
	rnd := rand.New(rand.NewSource(1))
	for i := range 500 {
		b := bytes.Clone(seeds[i%len(seeds)])
		for range 1 + rnd.Intn(8) {
			b[rnd.Intn(len(b))] = byte(rnd.Intn(256))
		}
		checkStaysInside(t, b)
	}
}

func checkStaysInside(t *testing.T, body []byte) {
	parent, dir := sandbox(t)
	_ = Extract(bytes.NewReader(body), dir, "Dockerfile")
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "ctx" && e.Name() != "secret" {
			t.Fatalf("extraction wrote %s outside the context", e.Name())
		}
	}
	if b, _ := os.ReadFile(filepath.Join(parent, "secret")); string(b) != "secret" {
		t.Fatalf("secret changed: %q", b)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	_ = Walk(root, ".", func(e Entry) error {
		if e.Info.Mode().IsRegular() {
			if b, _ := root.ReadFile(e.Rel); string(b) == "secret" {
				t.Fatalf("read the secret through %s", e.Rel)
			}
		}
		return nil
	})
	for _, p := range []string{"secret", "l/secret", "a/b", "d/secret"} {
		if paths, err := Match(root, p); err == nil {
			for _, q := range paths {
				if b, _ := root.ReadFile(q); string(b) == "secret" {
					t.Fatalf("Match(%q) reached the secret", p)
				}
			}
		}
	}
}
