// Package content is a content-addressed blob store: every blob is a file
// named by the sha256 digest of its bytes.
//
// Layout under the store's root:
//
//	blobs/sha256/<hex>   committed blobs, read-only once written
//	ingest/<random>      blobs being written; removed when the store opens
//
// Ingest is atomic: bytes go to a temp file under ingest/ while their digest
// is computed, the file is fsynced and renamed into blobs/ only if the digest
// is the expected one, then the directory is fsynced. A crash leaves either no
// blob or the whole blob, plus at most a stale ingest file that the next
// NewStore removes.
package content

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// Info describes a committed blob.
type Info struct {
	Digest  digest.Digest
	Size    int64
	ModTime time.Time
}

// Store holds blobs under its root directory. It is safe for concurrent use:
// every operation is a single filesystem call or an atomic rename.
type Store struct {
	root string
	log  *slog.Logger
}

// NewStore opens (creating if needed) the store under root and removes
// ingest files a crash left behind.
func NewStore(root string, log *slog.Logger) (*Store, error) {
	s := &Store{root: root, log: log}
	if err := os.RemoveAll(s.ingestDir()); err != nil {
		return nil, fmt.Errorf("content: clean ingest: %w", err)
	}
	for _, dir := range []string{s.ingestDir(), filepath.Join(root, "blobs", string(digest.SHA256))} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("content: %w", err)
		}
	}
	return s, nil
}

func (s *Store) ingestDir() string { return filepath.Join(s.root, "ingest") }

// Path returns the file holding the blob d (which may not exist).
func (s *Store) Path(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid digest %q: %v", d, err))
	}
	if d.Algorithm() != digest.SHA256 {
		return "", errdefs.ErrNotImplemented.WithMessage("unsupported digest algorithm " + string(d.Algorithm()))
	}
	return filepath.Join(s.root, "blobs", string(d.Algorithm()), d.Encoded()), nil
}

// Put stores the bytes of r. If expected is not empty the blob is committed
// only if its digest equals expected (else errdefs.ErrFailedPrecondition).
// Putting a blob that already exists consumes r and keeps the existing file.
func (s *Store) Put(r io.Reader, expected digest.Digest) (Info, error) {
	if expected != "" {
		if _, err := s.Path(expected); err != nil {
			return Info{}, err
		}
	}
	tmp, err := os.CreateTemp(s.ingestDir(), "blob-")
	if err != nil {
		return Info{}, fmt.Errorf("content: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	info, err := s.write(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Info{}, err
	}
	if expected != "" && info.Digest != expected {
		return Info{}, errdefs.ErrFailedPrecondition.WithMessage(
			fmt.Sprintf("unexpected digest: got %s, expected %s", info.Digest, expected))
	}
	return info, s.commit(tmp.Name(), info.Digest)
}

// PutBytes stores b; see Put.
func (s *Store) PutBytes(b []byte, expected digest.Digest) (Info, error) {
	return s.Put(bytes.NewReader(b), expected)
}

func (s *Store) write(f *os.File, r io.Reader) (Info, error) {
	dg := digest.SHA256.Digester()
	n, err := io.Copy(io.MultiWriter(f, dg.Hash()), r)
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == f.Name() {
		return Info{}, err // says it all, as Docker's "write PATH: no space left on device"
	}
	if err != nil {
		return Info{}, fmt.Errorf("content: write blob: %w", err)
	}
	if err := f.Sync(); err != nil {
		return Info{}, fmt.Errorf("content: %w", err)
	}
	return Info{Digest: dg.Digest(), Size: n, ModTime: time.Now()}, nil
}

func (s *Store) commit(tmp string, d digest.Digest) error {
	p, err := s.Path(d)
	if err != nil {
		return err
	}
	if _, err := os.Stat(p); err == nil {
		return nil // already present: content-addressed, so identical
	}
	if err := os.Chmod(tmp, 0o444); err != nil {
		return fmt.Errorf("content: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("content: commit %s: %w", d, err)
	}
	return syncDir(filepath.Dir(p))
}

// Get returns the whole blob d.
func (s *Store) Get(d digest.Digest) ([]byte, error) {
	p, err := s.Path(d)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	return b, notFound(d, err)
}

// Open returns a reader of the blob d.
func (s *Store) Open(d digest.Digest) (*os.File, error) {
	p, err := s.Path(d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	return f, notFound(d, err)
}

// Info describes the blob d.
func (s *Store) Info(d digest.Digest) (Info, error) {
	p, err := s.Path(d)
	if err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return Info{}, notFound(d, err)
	}
	return Info{Digest: d, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete removes the blob d; deleting a missing blob is errdefs.ErrNotFound.
func (s *Store) Delete(d digest.Digest) error {
	p, err := s.Path(d)
	if err != nil {
		return err
	}
	return notFound(d, os.Remove(p))
}

// Walk calls fn for every committed blob, in lexical order of digest. An
// error from fn stops the walk and is returned.
func (s *Store) Walk(fn func(Info) error) error {
	dir := filepath.Join(s.root, "blobs", string(digest.SHA256))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("content: %w", err)
	}
	for _, e := range entries {
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if d.Validate() != nil || !e.Type().IsRegular() {
			s.log.Warn("content: ignoring stray file", "path", filepath.Join(dir, e.Name()))
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if err := fn(Info{Digest: d, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

func notFound(d digest.Digest, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("content %s: %w", d, errdefs.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("content: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("content: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("content: sync %s: %w", dir, err)
	}
	return nil
}
