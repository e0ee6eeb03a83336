package layer

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	"github.com/vbatts/tar-split/tar/asm"
	"github.com/vbatts/tar-split/tar/storage"
	"golang.org/x/sys/unix"
)

// Diff returns the layer's uncompressed tar stream, byte-identical to the one
// registered (its sha256 is the DiffID). Should the content not hash to the
// DiffID, reading ends with an errdefs.ErrDataLoss error instead of io.EOF.
func (s *Store) Diff(chainID digest.Digest) (io.ReadCloser, error) {
	l, err := s.Get(chainID)
	if err != nil {
		return nil, err
	}
	dir := s.layerDir(l.ChainID)
	meta, err := os.Open(filepath.Join(dir, tarSplitFile))
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", chainID, err)
	}
	root, err := unix.Open(filepath.Join(dir, contentDir), dirFlags, 0)
	if err != nil {
		meta.Close()
		return nil, fmt.Errorf("layer %s: %w", chainID, err)
	}
	pr, pw := io.Pipe()
	d := &diffReader{PipeReader: pr, done: make(chan struct{}), meta: meta, root: root}
	go d.assemble(pw, l.DiffID)
	return d, nil
}

// diffReader streams a tar assembled by a goroutine, and closes the files
// that goroutine uses only once it is gone.
type diffReader struct {
	*io.PipeReader
	done  chan struct{}
	meta  *os.File // tar-split.json.gz
	root  int      // the diff directory
	close sync.Once
}

func (d *diffReader) assemble(pw *io.PipeWriter, diffID digest.Digest) {
	defer close(d.done)
	zr, err := gzip.NewReader(d.meta)
	if err != nil {
		pw.CloseWithError(err)
		return
	}
	digester := digest.Canonical.Digester()
	err = asm.WriteOutputTarStream(diffFiles{d.root}, storage.NewJSONUnpacker(zr), io.MultiWriter(pw, digester.Hash()))
	switch {
	case err != nil && !errdefs.IsDataLoss(err):
		err = fmt.Errorf("rebuilding the layer's tar: %w: %w", err, errdefs.ErrDataLoss)
	case err == nil && digester.Digest() != diffID:
		err = fmt.Errorf("layer content hashes to %s, not %s: %w", digester.Digest(), diffID, errdefs.ErrDataLoss)
	}
	pw.CloseWithError(err)
}

func (d *diffReader) Close() error {
	d.close.Do(func() {
		d.PipeReader.Close()
		<-d.done
		unix.Close(d.root)
		d.meta.Close()
	})
	return nil
}

// diffFiles gives tar-split the content of regular files, looked up in the
// diff directory as Register stored them.
type diffFiles struct{ root int }

func (g diffFiles) Get(name string) (io.ReadCloser, error) {
	clean, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	parent, err := openDir(g.root, path.Dir(clean), false)
	if err != nil {
		return nil, err
	}
	defer unix.Close(parent)
	base := path.Base(clean)
	var st unix.Stat_t
	if err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, fmt.Errorf("%s: %w", clean, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG { // never open a fifo or a device
		return nil, fmt.Errorf("%s is no longer a regular file: %w", clean, errdefs.ErrDataLoss)
	}
	fd, err := unix.Openat(parent, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", clean, err)
	}
	return os.NewFile(uintptr(fd), clean), nil
}
