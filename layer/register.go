package layer

import (
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	"github.com/vbatts/tar-split/tar/asm"
	"github.com/vbatts/tar-split/tar/storage"
	"golang.org/x/sys/unix"
)

// Register unpacks the tar stream r (plain, gzip or zstd) as a layer on top of
// parent ("" for none). It is idempotent: registering an existing ChainID
// consumes r, checks the DiffID and returns the existing layer.
func (s *Store) Register(r io.Reader, parent digest.Digest) (Layer, error) {
	if parent != "" {
		if _, err := s.Get(parent); err != nil {
			return Layer{}, fmt.Errorf("register layer: parent: %w", err)
		}
	}
	tmp, err := os.MkdirTemp(s.tmpDir(), "register-")
	if err != nil {
		return Layer{}, fmt.Errorf("register layer: %w", err)
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
		return Layer{}, fmt.Errorf("register layer: %w", err)
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
	tarStream, err := decompress(src)
	if err != nil {
		return "", nil, classify(err, src, nil)
	}
	defer tarStream.Close()
	meta, err := os.Create(filepath.Join(dir, tarSplitFile))
	if err != nil {
		return "", nil, err
	}
	defer meta.Close()
	zw := gzip.NewWriter(meta)
	digester := digest.Canonical.Digester()
	stop := make(chan struct{})
	split, done, _ := asm.NewInputTarStreamWithDone(io.TeeReader(tarStream, digester.Hash()), storage.NewJSONPacker(zw), checksummer{stop})
	stream := &errRecorder{r: split}
	a, err := applyDir(stream, filepath.Join(dir, contentDir))
	if err == nil { // the bytes after the tar's end are part of the DiffID too
		_, err = io.Copy(io.Discard, stream)
	}
	split.Close()
	close(stop)
	if derr := <-done; err == nil {
		err = derr
	}
	if err == nil {
		err = errors.Join(zw.Close(), meta.Close())
	}
	return digester.Digest(), a, classify(err, src, stream)
}

// checksummer is tar-split's FilePutter: it only checksums file content, as
// the content itself goes to diff/. Unlike tar-split's own, it stops when
// told: a sparse entry's holes would otherwise keep tar-split's goroutine
// busy, reading nothing from the stream, long after Register gave up.
type checksummer struct{ stop <-chan struct{} }

var errStopped = errors.New("layer registration stopped")

func (c checksummer) Put(_ string, r io.Reader) (int64, []byte, error) {
	h := crc64.New(storage.CRCTable)
	buf := make([]byte, 32<<10)
	var n int64
	for {
		select {
		case <-c.stop:
			return n, nil, errStopped
		default:
		}
		m, err := r.Read(buf)
		h.Write(buf[:m])
		n += int64(m)
		if err == io.EOF {
			return n, h.Sum(nil), nil
		}
		if err != nil {
			return n, nil, err
		}
	}
}

// applyDir makes the directory dir and applies the tar stream r to it.
func applyDir(r io.Reader, dir string) (*applier, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // undo the umask
		return nil, err
	}
	root, err := unix.Open(dir, dirFlags, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(root)
	return applyTar(r, root)
}

// classify tells a failure of the caller's reader (returned as it is) from a
// corrupt stream (errdefs.ErrInvalidArgument) and from a local failure.
func classify(err error, src, stream *errRecorder) error {
	switch {
	case err == nil:
		return nil
	case src.err != nil:
		return fmt.Errorf("reading layer: %w", src.err)
	case stream != nil && stream.err != nil && !errdefs.IsInvalidArgument(err):
		return fmt.Errorf("corrupt layer stream: %w: %w", err, errdefs.ErrInvalidArgument)
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
