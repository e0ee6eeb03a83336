package logs

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
)

const (
	gzExt  = ".gz"
	tmpExt = ".tmp"
)

// gzipFile compresses name to name.gz and removes name. The compressed
// file is written under a temporary name and renamed into place before
// name is removed, so a reader always finds one whole copy (it prefers
// name while both exist).
func gzipFile(name string) (err error) {
	in, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	defer in.Close()
	tmp := name + gzExt + tmpExt
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	// BestSpeed: the shim compresses on its one P while it logs.
	zw, err := gzip.NewWriterLevel(out, gzip.BestSpeed)
	if err != nil {
		out.Close()
		return err
	}
	_, err = io.Copy(zw, in)
	err = errors.Join(err, zw.Close(), out.Close())
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, name+gzExt); err != nil {
		return err
	}
	return os.Remove(name)
}

func newGzipReader(r io.Reader) (*gzip.Reader, error) { return gzip.NewReader(r) }
