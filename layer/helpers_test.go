package layer

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// requireRoot skips tests that need root: mknod, chown, trusted.* xattrs, mount.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// testStore is a store in a fresh directory, next to an empty sentinel
// directory that no layer may ever write to.
type testStore struct {
	*Store
	base     string // holds root and outside, nothing else
	root     string
	outside  string
	sentinel string // a second sentinel, outside base
}

func newTestStore(t testing.TB) *testStore {
	t.Helper()
	requireRoot(t)
	base := t.TempDir()
	ts := &testStore{base: base, root: filepath.Join(base, "root"), outside: filepath.Join(base, "outside")}
	ts.sentinel = t.TempDir()
	if err := os.Mkdir(ts.outside, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := NewStore(ts.root, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts.Store = s
	return ts
}

// checkConfined fails t if anything exists outside the store root or is left
// in its tmp directory.
func (ts *testStore) checkConfined(t testing.TB) {
	t.Helper()
	for _, dir := range []string{ts.outside, ts.sentinel, filepath.Join(ts.root, "tmp")} {
		if names := readDirNames(t, dir); len(names) > 0 {
			t.Errorf("%s holds %v", dir, names)
		}
	}
	if names := readDirNames(t, ts.base); len(names) != 2 {
		t.Errorf("%s holds %v, want only root and outside", ts.base, names)
	}
}

func readDirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// entry is one tar entry to write; Body is the content of regular files.
type entry struct {
	tar.Header
	Body string
}

var epoch = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

func file(name, body string) entry {
	return entry{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: epoch}, body}
}

func dir(name string) entry {
	return entry{Header: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: epoch}}
}

func symlink(name, target string) entry {
	return entry{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: epoch}}
}

func hardlink(name, target string) entry {
	return entry{Header: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o644, ModTime: epoch}}
}

// makeTar writes entries as a tar archive (PAX where a header needs it).
func makeTar(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.Header
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.Body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lstat returns the stat of name under dir, failing t if it is missing.
func lstat(t testing.TB, dir, name string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, name), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func exists(t testing.TB, path string) bool {
	t.Helper()
	_, err := os.Lstat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// sparseBomb is a tar whose one entry is a sparse file of 4 TiB of holes, in
// the old GNU format (type 'S') or with GNU's PAX records. archive/tar
// writes neither, so the headers are patched by hand.
func sparseBomb(t testing.TB, pax bool) []byte {
	if !pax {
		b := makeTar(t, file("s", ""))
		patchHeader(b[:512], tar.TypeGNUSparse, func(blk []byte) {
			copy(blk[257:265], "ustar  \x00")                                 // GNU magic
			copy(blk[483:495], []byte{0x80, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0}) // real size, base-256
		})
		return b
	}
	var recs string
	for _, kv := range [][2]string{{"major", "0"}, {"minor", "1"}, {"numblocks", "1"}, {"map", "0,0"}, {"size", "4398046511104"}} {
		rec := " GNU.sparse." + kv[0] + "=" + kv[1] + "\n"
		recs += fmt.Sprint(len(rec)+2) + rec // all records are 10 to 99 bytes long
	}
	b := makeTar(t, file("PaxHeaders/s", recs), file("s", ""))
	patchHeader(b[:512], tar.TypeXHeader, nil)
	return b
}

// patchHeader sets the type of a tar header block, applies patch, and
// updates the checksum.
func patchHeader(blk []byte, typeflag byte, patch func(blk []byte)) {
	blk[156] = typeflag
	if patch != nil {
		patch(blk)
	}
	copy(blk[148:156], "        ")
	sum := 0
	for _, c := range blk {
		sum += int(c)
	}
	copy(blk[148:156], fmt.Sprintf("%06o\x00 ", sum))
}
