package content

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

func newStore(t *testing.T, root string) *Store {
	t.Helper()
	s, err := NewStore(root, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPutGetInfoDelete(t *testing.T) {
	s := newStore(t, t.TempDir())
	data := []byte("hello blob")
	want := digest.FromBytes(data)

	info, err := s.PutBytes(data, want)
	if err != nil {
		t.Fatal(err)
	}
	if info.Digest != want || info.Size != int64(len(data)) {
		t.Fatalf("info = %+v", info)
	}
	got, err := s.Get(want)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	f, err := s.Open(want)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(b, data) {
		t.Fatalf("Open read %q", b)
	}
	if i, err := s.Info(want); err != nil || i.Size != int64(len(data)) {
		t.Fatalf("Info = %+v, %v", i, err)
	}
	// Idempotent put.
	if _, err := s.Put(strings.NewReader("hello blob"), ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(want); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{s.Delete(want), func() error { _, err := s.Get(want); return err }(),
		func() error { _, err := s.Info(want); return err }()} {
		if !errdefs.IsNotFound(err) {
			t.Fatalf("after delete: %v, want not found", err)
		}
	}
}

func TestPutWrongDigestLeavesNothing(t *testing.T) {
	root := t.TempDir()
	s := newStore(t, root)
	want := digest.FromString("something else")
	_, err := s.PutBytes([]byte("data"), want)
	if !errdefs.IsFailedPrecondition(err) {
		t.Fatalf("err = %v, want failed precondition", err)
	}
	assertEmpty(t, filepath.Join(root, "ingest"))
	assertEmpty(t, filepath.Join(root, "blobs", "sha256"))
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("boom")
	}
	r.n--
	return copy(p, "xxxx"), nil
}

func TestPutReadErrorLeavesNothing(t *testing.T) {
	root := t.TempDir()
	s := newStore(t, root)
	if _, err := s.Put(&failingReader{n: 3}, ""); err == nil {
		t.Fatal("expected error")
	}
	assertEmpty(t, filepath.Join(root, "ingest"))
	assertEmpty(t, filepath.Join(root, "blobs", "sha256"))
}

func TestBadDigest(t *testing.T) {
	s := newStore(t, t.TempDir())
	for _, d := range []digest.Digest{"sha256:../../etc", "nope", "sha512:" + digest.Digest(strings.Repeat("a", 128))} {
		if _, err := s.Get(d); err == nil {
			t.Errorf("Get(%q) succeeded", d)
		}
	}
}

func TestStaleIngestRemovedAtOpen(t *testing.T) {
	root := t.TempDir()
	newStore(t, root)
	stale := filepath.Join(root, "ingest", "blob-123")
	if err := os.WriteFile(stale, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	newStore(t, root)
	assertEmpty(t, filepath.Join(root, "ingest"))
}

func TestWalkAndConcurrentPut(t *testing.T) {
	s := newStore(t, t.TempDir())
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half of the writers put the same blob.
			data := []byte{byte(i % 10)}
			if _, err := s.PutBytes(data, digest.FromBytes(data)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var seen []digest.Digest
	if err := s.Walk(func(i Info) error { seen = append(seen, i.Digest); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 10 {
		t.Fatalf("walk saw %d blobs, want 10", len(seen))
	}
	stop := errors.New("stop")
	if err := s.Walk(func(Info) error { return stop }); err != stop {
		t.Fatalf("walk err = %v", err)
	}
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("%s not empty: %v", dir, entries)
	}
}
