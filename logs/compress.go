package logs

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/berth/berth/logs/logfile"
)

// CompressRotated gzips the rotated files of the local log at path that
// are not compressed yet, <path>.N to <path>.N.gz, as Docker's local
// driver does with compress=true. berthd does it, not the shim: gzip
// would cost every shim about 0.3 MiB of RSS (docs/logs.md).
//
// It is safe while the shim writes and rotates the log: it compresses a
// file under a temporary name, then, holding the rotation lock, finds the
// file again (a rotation may have renamed it), renames the compressed
// copy next to it and removes it. Readers prefer <path>.N while both
// exist. Calls for one log must not overlap.
func CompressRotated(path string) error {
	names, err := rotatedNames(path)
	if err != nil {
		return err
	}
	tmp := path + logfile.GzExt + ".tmp" // no rotated file's name
	for _, name := range names {
		if strings.HasSuffix(name, logfile.GzExt) {
			continue
		}
		if err := compressRotated(path, name, tmp); err != nil {
			return err
		}
	}
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err // left by a berthd that stopped while compressing
	}
	return nil
}

func compressRotated(path, name, tmp string) error {
	src, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // rotated away meanwhile
		}
		return err
	}
	defer src.Close()
	if err := gzipTo(tmp, src); err != nil {
		os.Remove(tmp)
		return err
	}
	unlock, err := logfile.LockRotation(path)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	defer unlock()
	cur, err := currentName(path, src)
	if err == nil && cur != "" {
		if err = os.Rename(tmp, cur+logfile.GzExt); err == nil {
			return os.Remove(cur)
		}
	}
	os.Remove(tmp) // src fell off the end of the log, or an error
	return err
}

// gzipTo writes src compressed to a new file name, with src's sequence
// number in the gzip header, and syncs it: src is removed once it is in
// place.
func gzipTo(name string, src *os.File) error {
	seq, _ := logfile.ReadHeader(src)
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(out)
	zw.Extra = logfile.GzipExtra(seq)
	if fi, err := src.Stat(); err == nil {
		zw.ModTime = fi.ModTime()
	}
	_, err = io.Copy(zw, src)
	err = errors.Join(err, zw.Close())
	if err == nil {
		err = out.Sync()
	}
	return errors.Join(err, out.Close())
}

// currentName is the name f has now among the log's uncompressed rotated
// files, "" if none.
func currentName(path string, f *os.File) (string, error) {
	nums, err := rotatedNums(path)
	if err != nil {
		return "", err
	}
	for _, n := range nums {
		if name := logfile.RotatedName(path, n); sameFile(f, name) {
			return name, nil
		}
	}
	return "", nil
}
