package layer

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/containerd/errdefs"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
)

// richTar has one entry of every kind, PAX headers, and padding past the end
// of the archive, which the DiffID covers too.
func richTar(t testing.TB) []byte {
	big := make([]byte, 300<<10)
	for i := range big {
		big[i] = byte(rand.IntN(256))
	}
	b := makeTar(t,
		dir("usr/"), dir("usr/bin/"),
		file("usr/bin/tool", "#!/bin/sh\n"),
		file("usr/share/"+strings.Repeat("long-name/", 15)+"file", "long"),
		entry{tar.Header{Typeflag: tar.TypeReg, Name: "big", Mode: 0o600, Size: int64(len(big)), ModTime: epoch,
			PAXRecords: map[string]string{"SCHILY.xattr.user.k": "v"}}, string(big)},
		file("empty", ""),
		file("ünïcode ☃", "snow"),
		symlink("usr/lib", "../lib"),
		hardlink("usr/bin/tool2", "usr/bin/tool"),
		entry{Header: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3}},
		entry{Header: tar.Header{Typeflag: tar.TypeFifo, Name: "fifo", Mode: 0o600}},
		file("etc/.wh.passwd", ""),
		file("var/.wh..wh..opq", ""),
	)
	return append(b, make([]byte, 4096)...)
}

func compress(t testing.TB, kind string, b []byte) []byte {
	var buf bytes.Buffer
	var w io.WriteCloser
	switch kind {
	case "plain":
		return b
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readDiff(t testing.TB, s *Store, chainID digest.Digest) []byte {
	t.Helper()
	rc, err := s.Diff(chainID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func register(t testing.TB, s *Store, b []byte, parent digest.Digest) Layer {
	t.Helper()
	l, err := s.Register(bytes.NewReader(b), parent)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRoundTrip(t *testing.T) {
	tarball := richTar(t)
	want := digest.FromBytes(tarball)
	for _, kind := range []string{"plain", "gzip", "zstd"} {
		t.Run(kind, func(t *testing.T) {
			ts := newTestStore(t)
			l := register(t, ts.Store, compress(t, kind, tarball), "")
			if l.DiffID != want || l.ChainID != want || l.Parent != "" {
				t.Errorf("layer %+v, want DiffID and ChainID %s", l, want)
			}
			if l.Size != int64(300<<10+len("#!/bin/sh\n")+len("long")+len("snow")+len("../lib")) { // files and symlink targets
				t.Errorf("size %d", l.Size)
			}
			if got := readDiff(t, ts.Store, l.ChainID); !bytes.Equal(got, tarball) {
				t.Errorf("Diff gave %d bytes (%s), want the %d registered", len(got), digest.FromBytes(got), len(tarball))
			}
			ts.checkConfined(t)
		})
	}
}

func TestChainID(t *testing.T) {
	a, b, c := digest.FromString("a"), digest.FromString("b"), digest.FromString("c")
	ab := digest.FromString(a.String() + " " + b.String())
	tests := []struct {
		in   []digest.Digest
		want digest.Digest
	}{
		{nil, ""},
		{[]digest.Digest{a}, a},
		{[]digest.Digest{a, b}, ab},
		{[]digest.Digest{a, b, c}, digest.FromString(ab.String() + " " + c.String())},
	}
	for _, tt := range tests {
		if got := ChainID(tt.in); got != tt.want {
			t.Errorf("ChainID(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestStack(t *testing.T) {
	ts := newTestStore(t)
	base := register(t, ts.Store, makeTar(t, file("a", "1")), "")
	top := register(t, ts.Store, makeTar(t, file("b", "2")), base.ChainID)
	if want := ChainID([]digest.Digest{base.DiffID, top.DiffID}); top.ChainID != want || top.Parent != base.ChainID {
		t.Errorf("top %+v, want ChainID %s on %s", top, want, base.ChainID)
	}
	if got, err := ts.Get(top.ChainID); err != nil || got != top {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if list, _ := ts.List(); len(list) != 2 {
		t.Errorf("List = %v", list)
	}
	if _, err := ts.Register(bytes.NewReader(makeTar(t)), digest.FromString("missing")); !errdefs.IsNotFound(err) {
		t.Errorf("Register on a missing parent: %v, want not found", err)
	}
	if err := ts.Remove(base.ChainID); !errdefs.IsConflict(err) {
		t.Errorf("Remove of a parent: %v, want a conflict", err)
	}
	for _, l := range []Layer{top, base} {
		if err := ts.Remove(l.ChainID); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Get(l.ChainID); !errdefs.IsNotFound(err) {
			t.Errorf("Get after Remove: %v", err)
		}
		if _, err := ts.Dir(l.ChainID); !errdefs.IsNotFound(err) {
			t.Errorf("Dir after Remove: %v", err)
		}
	}
	if err := ts.Remove(base.ChainID); !errdefs.IsNotFound(err) {
		t.Errorf("second Remove: %v, want not found", err)
	}
	if names := readDirNames(t, filepath.Join(ts.root, "sha256")); len(names) != 0 {
		t.Errorf("layers left: %v", names)
	}
	ts.checkConfined(t)
}

func TestRegisterIdempotent(t *testing.T) {
	ts := newTestStore(t)
	b := makeTar(t, file("a", "1"))
	first := register(t, ts.Store, b, "")
	r := bytes.NewReader(compress(t, "gzip", b))
	if again, err := ts.Register(r, ""); err != nil || again != first {
		t.Errorf("second Register = %+v, %v; want %+v", again, err, first)
	}
	if r.Len() != 0 {
		t.Errorf("%d bytes left unread", r.Len())
	}
	if names := readDirNames(t, filepath.Join(ts.root, "sha256")); len(names) != 1 {
		t.Errorf("layer dirs %v", names)
	}
	ts.checkConfined(t)
}

func TestRegisterConcurrent(t *testing.T) {
	ts := newTestStore(t)
	b := richTar(t)
	var wg sync.WaitGroup
	layers := make([]Layer, 8)
	for i := range layers {
		wg.Go(func() {
			var err error
			if layers[i], err = ts.Register(bytes.NewReader(b), ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, l := range layers[1:] {
		if l != layers[0] {
			t.Errorf("got %+v and %+v", l, layers[0])
		}
	}
	if names := readDirNames(t, filepath.Join(ts.root, "sha256")); len(names) != 1 {
		t.Errorf("layer dirs %v", names)
	}
	if got := readDiff(t, ts.Store, layers[0].ChainID); !bytes.Equal(got, b) {
		t.Error("Diff differs")
	}
	ts.checkConfined(t)
}

func TestRegisterCorrupt(t *testing.T) {
	tarball := richTar(t)
	gz, zst := compress(t, "gzip", tarball), compress(t, "zstd", tarball)
	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-6] ^= 0xff
	tests := map[string][]byte{
		"tar cut in a file":    tarball[:1000],
		"tar cut in a header":  tarball[:612],
		"gzip cut":             gz[:len(gz)/2],
		"gzip without trailer": gz[:len(gz)-4],
		"gzip bad checksum":    badCRC,
		"zstd cut":             zst[:len(zst)/2],
		"garbage":              bytes.Repeat([]byte("not a tar "), 100),
		"bad gzip header":      {0x1f, 0x8b, 0, 0, 0},
		"duplicate names":      makeTar(t, file("a", "1"), file("a", "2")),
		"GNU sparse bomb":      sparseBomb(t, false),
		"PAX sparse bomb":      sparseBomb(t, true),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestStore(t)
			_, err := ts.Register(bytes.NewReader(b), "")
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("Register: %v, want an invalid argument", err)
			}
			t.Log(err)
			if names := readDirNames(t, filepath.Join(ts.root, "sha256")); len(names) != 0 {
				t.Errorf("layer dirs %v", names)
			}
			ts.checkConfined(t)
		})
	}
}

func TestRegisterReaderError(t *testing.T) {
	ts := newTestStore(t)
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(richTar(t)[:2000]), iotest.ErrReader(boom))
	if _, err := ts.Register(r, ""); !errors.Is(err, boom) || errdefs.IsInvalidArgument(err) {
		t.Errorf("Register: %v, want the reader's error", err)
	}
	ts.checkConfined(t)
}

func TestNewStoreCleansUp(t *testing.T) {
	ts := newTestStore(t)
	l := register(t, ts.Store, richTar(t), "")
	stale := filepath.Join(ts.root, "tmp", "register-123", "diff", "half")
	if err := os.MkdirAll(stale, 0o500); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ts.root, "tmp", "remove-9"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewStore(ts.root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if names := readDirNames(t, filepath.Join(ts.root, "tmp")); len(names) != 0 {
		t.Errorf("tmp holds %v", names)
	}
	if list, err := s.List(); err != nil || len(list) != 1 || list[0] != l {
		t.Errorf("List = %v, %v; want %v", list, err, l)
	}
	if got := readDiff(t, s, l.ChainID); digest.FromBytes(got) != l.DiffID {
		t.Error("Diff after reopening differs")
	}
}

func TestDiffDetectsLostContent(t *testing.T) {
	ts := newTestStore(t)
	changed := register(t, ts.Store, makeTar(t, file("a", "1234")), "")
	dir, _ := ts.Dir(changed.ChainID)
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("4321"), 0o644); err != nil {
		t.Fatal(err)
	}
	// "/a" replaces "a" on disk, but both are in the tar.
	replaced := register(t, ts.Store, makeTar(t, file("a", "1234"), file("/a", "5678")), "")
	for _, l := range []Layer{changed, replaced} {
		rc, err := ts.Diff(l.ChainID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(rc); !errdefs.IsDataLoss(err) {
			t.Errorf("Diff of lost content: %v, want data loss", err)
		}
		rc.Close()
	}
}

func TestDiffCloseEarly(t *testing.T) {
	ts := newTestStore(t)
	l := register(t, ts.Store, richTar(t), "")
	rc, err := ts.Diff(l.ChainID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rc, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
}
