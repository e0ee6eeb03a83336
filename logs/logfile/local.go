package logfile

import (
	"encoding/binary"
	"errors"
	"os"
	"sync"
	"time"
)

var (
	errLineTooLong   = errors.New("log message too long")
	errUnknownStream = errors.New("unknown log stream")
)

// Local writes a log in the local format (record.go). It is safe for
// concurrent use.
type Local struct {
	path     string
	maxSize  int64
	maxFiles int

	mu   sync.Mutex // guards the fields below
	f    *os.File   // nil once closed
	size int64      // bytes in f
	seq  uint64     // f's sequence number
	torn bool       // f ends with part of a record: start a new file first
	buf  []byte     // the record being written
}

// OpenLocal opens (appending) or creates the local log at path.
func OpenLocal(path string, cfg Config) (*Local, error) {
	cfg = cfg.withDefaults()
	w := &Local{path: path, maxSize: cfg.MaxSize, maxFiles: cfg.MaxFiles}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

// open opens <path>, or creates it numbered after the newest rotated file.
// A file without its header, or that ends in part of a record (its writer
// stopped in the middle of one), gets no more records: the first write
// starts a new file.
func (w *Local) open() error {
	f, err := os.OpenFile(w.path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, os.ErrNotExist) {
		return w.openNew()
	}
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	seq, ok := ReadHeader(f)
	if !ok {
		seq = w.newestSeq()
	}
	w.f, w.size, w.seq = f, fi.Size(), seq
	w.torn = !ok || !endsWhole(f, w.size)
	return nil
}

func (w *Local) openNew() error {
	seq := w.newestSeq() + 1
	f, err := w.create(seq)
	if err != nil {
		return err
	}
	if err := os.Rename(f.Name(), w.path); err != nil {
		f.Close()
		return err
	}
	w.f, w.size, w.seq = f, HeaderSize, seq
	return nil
}

// newestSeq is the sequence number of the newest rotated file (the lowest
// number left: a rotation cut short leaves gaps), 0 if there is none.
func (w *Local) newestSeq() uint64 {
	for n := 1; n < w.maxFiles; n++ {
		for _, name := range []string{w.rotated(n), w.rotated(n) + GzExt} {
			if f, err := os.Open(name); err == nil {
				seq := fileSeq(f, name)
				f.Close()
				return seq
			}
		}
	}
	return 0
}

// endsWhole says whether the file of size bytes ends with a whole record.
func endsWhole(f *os.File, size int64) bool {
	var b [4]byte
	if size < MinRecordSize {
		return false
	}
	if _, err := f.ReadAt(b[:], size-4); err != nil {
		return false
	}
	n := int64(binary.BigEndian.Uint32(b[:])) + frameSize
	if n < MinRecordSize || n > size || n > maxRecordBody+frameSize {
		return false
	}
	rec := make([]byte, n)
	if _, err := f.ReadAt(rec, size-n); err != nil {
		return false
	}
	got, _, ok := NextRecord(rec)
	return ok && int64(got) == n
}

// create makes <path>.new holding the header of file number seq, to be
// renamed into place: a reader never sees a log file without its header.
func (w *Local) create(seq uint64) (*os.File, error) {
	f, err := os.OpenFile(w.path+".new", os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(appendHeader(nil, seq, time.Now())); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// Write logs one message: line is its text (with the newline, unless it
// is partial), stream Stdout or Stderr. After a write that failed part way
// (a full disk) the next one starts a new file: nothing is written after
// part of a record, so readers never lose their place.
func (w *Local) Write(stream string, line []byte, t time.Time) error {
	if stream != Stdout && stream != Stderr {
		return errUnknownStream
	}
	if text := len(line) - 1; text > MaxRecordLine || text == MaxRecordLine && line[text] != '\n' {
		return errLineTooLong // the text, without its newline, is longer
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return os.ErrClosed
	}
	w.buf = AppendRecord(w.buf[:0], stream, line, t)
	if w.torn || w.maxSize > 0 && w.size > HeaderSize && w.size+int64(len(w.buf)) > w.maxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.f.Write(w.buf)
	w.size += int64(n)
	w.torn = err != nil && n > 0
	return err
}

// rotate moves <path> to <path>.1 (the older files one number up, the
// oldest falling off) and puts a new file, numbered next, at <path>; with
// one file it replaces <path>. The new file is made first, so a failed
// rotation leaves the current file in place. The renames hold the
// rotation lock, as berthd may be renaming compressed files.
func (w *Local) rotate() error {
	next, err := w.create(w.seq + 1)
	if err != nil {
		return err
	}
	unlock, err := LockRotation(w.path)
	if err == nil {
		if w.maxFiles > 1 {
			err = w.shift()
		}
		if err == nil {
			err = os.Rename(next.Name(), w.path)
		}
		unlock()
	}
	if err != nil {
		next.Close()
		os.Remove(next.Name())
		return err
	}
	w.f.Close()
	w.f, w.size, w.seq, w.torn = next, HeaderSize, w.seq+1, false
	return nil
}

// shift renames <path>.N-2 ... <path>.1, compressed or not, one number up,
// and <path> to <path>.1.
func (w *Local) shift() error {
	oldest := w.rotated(w.maxFiles - 1)
	for _, name := range []string{oldest, oldest + GzExt} {
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	for i := w.maxFiles - 1; i > 1; i-- {
		for _, ext := range []string{"", GzExt} {
			err := os.Rename(w.rotated(i-1)+ext, w.rotated(i)+ext)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return os.Rename(w.path, w.rotated(1))
}

func (w *Local) rotated(n int) string { return RotatedName(w.path, n) }

// Close closes the file; later writes fail.
func (w *Local) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
