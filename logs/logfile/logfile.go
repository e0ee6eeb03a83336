// Package logfile writes a container's log files, in the formats of
// Docker's json-file and local drivers, with rotation: the shim's side of
// the logs (package logs reads them, for berthd).
//
// Every running container's shim links this package, so it stays small:
// no encoding/json, no compress (gzip would link fmt's printer and cost
// each shim about 0.3 MiB: berthd compresses rotated files instead, see
// logs.CompressRotated), no fmt.
//
// Rotation keeps at most MaxFiles files: <path> is written, <path>.1 is the
// newest rotated file, <path>.N-1 the oldest; a rotated file of a local
// log may be <path>.N.gz once berthd compressed it. Every message is
// written with one write(2) on an O_APPEND file, so a reader sees whole
// entries only, and ignores a last entry that is not complete yet.
// docs/logs.md describes the formats.
package logfile

import (
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Stream names, as json-file's "stream" field has them.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// Rotation defaults, used when Config leaves them zero (Docker's "local"
// driver limits: rotation is on unless turned off).
const (
	DefaultMaxSize  = 20 << 20
	DefaultMaxFiles = 5
)

// Config sets a log file's rotation.
type Config struct {
	// MaxSize is the size in bytes at which the file is rotated: 0 means
	// DefaultMaxSize, a negative value never rotates.
	MaxSize int64
	// MaxFiles is how many files are kept, the one being written included:
	// 0 means DefaultMaxFiles. With 1 the file is replaced by an empty one.
	MaxFiles int
}

func (c Config) withDefaults() Config {
	if c.MaxSize == 0 {
		c.MaxSize = DefaultMaxSize
	}
	if c.MaxFiles <= 0 {
		c.MaxFiles = DefaultMaxFiles
	}
	return c
}

// Writer writes messages to a log file: JSON or Local.
type Writer interface {
	// Write logs one message: line is its text, with its newline unless
	// it is partial; stream is Stdout or Stderr.
	Write(stream string, line []byte, t time.Time) error
	Close() error
}

// GzExt ends the name of a compressed rotated file.
const GzExt = ".gz"

// RotatedName is the name of the log's rotated file n (uncompressed).
func RotatedName(path string, n int) string { return path + "." + strconv.Itoa(n) }

// LockRotation holds off rotations of the local log at path while a
// process other than its writer renames its files (logs.CompressRotated).
// It is an flock of the log's directory, which Local takes to rotate.
func LockRotation(path string) (unlock func(), err error) {
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(dir.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		dir.Close()
		return nil, &os.PathError{Op: "flock", Path: dir.Name(), Err: err}
	}
	return func() { dir.Close() }, nil // closing the last fd releases the lock
}
