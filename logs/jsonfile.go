package logs

import (
	"errors"
	"os"
	"sync"
	"time"
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

// JSONFile writes a json-file log. It is safe for concurrent use.
type JSONFile struct {
	path     string
	maxSize  int64
	maxFiles int

	mu   sync.Mutex // guards the fields below
	f    *os.File   // nil once closed
	size int64      // bytes in f
	buf  []byte     // the entry being written
}

// OpenJSONFile opens (appending) or creates the log file at path.
func OpenJSONFile(path string, cfg Config) (*JSONFile, error) {
	w := &JSONFile{path: path, maxSize: cfg.MaxSize, maxFiles: cfg.MaxFiles}
	if w.maxSize == 0 {
		w.maxSize = DefaultMaxSize
	}
	if w.maxFiles <= 0 {
		w.maxFiles = DefaultMaxFiles
	}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *JSONFile) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	w.f, w.size = f, fi.Size()
	return nil
}

// Write logs one message: line is its text (with the newline, unless it
// is partial), stream Stdout or Stderr.
func (w *JSONFile) Write(stream string, line []byte, t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return os.ErrClosed
	}
	w.buf = appendEntry(w.buf[:0], stream, line, t)
	if w.maxSize > 0 && w.size > 0 && w.size+int64(len(w.buf)) > w.maxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.f.Write(w.buf)
	w.size += int64(n)
	return err
}

// rotate shifts <path>.N-2 ... <path> one number up (the oldest falls off)
// and starts an empty <path>. With one file it renames a new empty file
// over <path>, so a follower sees a new file, never a shrinking one.
func (w *JSONFile) rotate() error {
	if err := w.f.Close(); err != nil {
		return err
	}
	w.f = nil
	var err error
	if w.maxFiles > 1 {
		err = w.shift()
	} else {
		err = w.replace()
	}
	if oerr := w.open(); oerr != nil {
		return errors.Join(err, oerr)
	}
	return err
}

func (w *JSONFile) shift() error {
	for i := w.maxFiles - 1; i > 1; i-- {
		err := os.Rename(w.rotated(i-1), w.rotated(i))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return os.Rename(w.path, w.rotated(1))
}

func (w *JSONFile) replace() error {
	tmp := w.path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	f.Close()
	return os.Rename(tmp, w.path)
}

func (w *JSONFile) rotated(n int) string { return rotatedName(w.path, n) }

// Close closes the file; later writes fail.
func (w *JSONFile) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
