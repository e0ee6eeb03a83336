package layer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/berth/berth/compression"
	"github.com/containerd/errdefs"
	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	"github.com/vbatts/tar-split/tar/storage"
	"golang.org/x/sys/unix"
)

// Register unpacks the tar stream r (plain, gzip or zstd) as a layer on top of
// parent ("" for none). It is idempotent: registering an existing ChainID
// consumes r, checks the DiffID and returns the existing layer. Errors do
// not repeat that a layer was being registered: callers say which one.
func (s *Store) Register(r io.Reader, parent digest.Digest) (Layer, error) {
	if parent != "" {
		if _, err := s.Get(parent); err != nil {
			return Layer{}, fmt.Errorf("parent: %w", err)
		}
	}
	tmp, err := os.MkdirTemp(s.tmpDir(), "register-")
	if err != nil {
		return Layer{}, err
	}
	l, err := s.build(tmp, r, parent)
	moved := false
	if err == nil {
		l, moved, err = s.commit(tmp, l)
	}
	if !moved {
		os.RemoveAll(tmp)
	}
	if err != nil {
		return Layer{}, err
	}
	return l, nil
}

// build makes the complete layer directory in dir.
func (s *Store) build(dir string, r io.Reader, parent digest.Digest) (Layer, error) {
	diffID, a, err := unpack(r, dir)
	if err != nil {
		return Layer{}, err
	}
	if a.skippedXattrs > 0 {
		s.log.Warn("the filesystem refused some xattrs of a layer", "diffID", diffID, "count", a.skippedXattrs)
	}
	l := Layer{ChainID: chainOf(parent, diffID), DiffID: diffID, Parent: parent, Size: a.size}
	if err := writeMeta(dir, l); err != nil {
		return Layer{}, err
	}
	if s.syncfs {
		return l, syncFS(dir)
	}
	return l, nil
}

// commit renames the layer directory tmp into place, unless the layer exists
// already: then it returns the existing one and moved is false.
func (s *Store) commit(tmp string, l Layer) (_ Layer, moved bool, _ error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if existing, ok := s.layers[l.ChainID]; ok {
		return existing, false, nil
	}
	if l.Parent != "" { // it may have been removed while we unpacked
		if _, err := s.getLocked(l.Parent); err != nil {
			return Layer{}, false, fmt.Errorf("parent: %w", err)
		}
	}
	if err := os.Rename(tmp, s.layerDir(l.ChainID)); err != nil {
		return Layer{}, false, err
	}
	s.layers[l.ChainID] = l
	if err := syncDir(s.layersDir()); err != nil {
		s.log.Warn("persisting new layer", "layer", l.ChainID, "err", err)
	}
	s.log.Debug("registered layer", "layer", l.ChainID, "diffID", l.DiffID, "size", l.Size)
	return l, true, nil
}

// unpack applies the layer stream r to dir/diff and records its tar-split
// metadata in dir/tar-split.json.gz. It returns the DiffID, the sha256 of
// every byte of the uncompressed stream, padding after the tar's end included.
func unpack(r io.Reader, dir string) (digest.Digest, *applier, error) {
	src := &errRecorder{r: r}
	// What docker import and image layers may be compressed with.
	tarStream, _, err := compression.Decompress(src, compression.Gzip, compression.Zstd, compression.Bzip2, compression.Xz)
	if err != nil {
		return "", nil, classify(fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument), src)
	}
	defer tarStream.Close()
	root, err := makeDir(filepath.Join(dir, contentDir))
	if err != nil {
		return "", nil, err
	}
	defer unix.Close(root)
	meta, err := os.Create(filepath.Join(dir, tarSplitFile))
	if err != nil {
		return "", nil, err
	}
	defer meta.Close()
	zw := gzip.NewWriter(meta)
	digester := digest.Canonical.Digester()
	a := newApplier(root)
	err = splitTar(io.TeeReader(tarStream, digester.Hash()), storage.NewJSONPacker(zw), a.apply)
	if err == nil {
		err = a.setDirTimes()
	}
	if err == nil {
		err = errors.Join(zw.Close(), meta.Close())
	}
	return digester.Digest(), a, classify(err, src)
}

// makeDir makes the directory dir, mode 0755, and opens it.
func makeDir(dir string) (int, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return -1, err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // undo the umask
		return -1, err
	}
	return unix.Open(dir, dirFlags, 0)
}

// classify tells a failure of the caller's reader apart: it is returned as
// it is, not as the corrupt stream it looks like from the inside.
func classify(err error, src *errRecorder) error {
	if err != nil && src.err != nil {
		return fmt.Errorf("reading layer: %w", src.err)
	}
	return err
}

// errRecorder remembers the first error, other than io.EOF, of a reader.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
