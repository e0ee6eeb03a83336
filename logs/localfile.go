package logs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// LocalConfig sets a local log's rotation and compression.
type LocalConfig struct {
	Config
	// Compress gzips rotated files (<path>.N.gz), in the background.
	Compress bool
	// Compressed, if set, is called after each background compression,
	// from its goroutine (the shim returns the compressor's memory there).
	Compressed func()
}

// LocalFile writes a log in the local format. It is safe for concurrent
// use.
type LocalFile struct {
	path       string
	maxSize    int64
	maxFiles   int
	compress   bool
	compressed func()

	mu     sync.Mutex    // guards the fields below
	f      *os.File      // nil once closed
	size   int64         // bytes in f
	seq    uint64        // f's sequence number
	buf    []byte        // the record being written
	torn   bool          // f ends with part of a record: rotate before writing
	gzDone chan struct{} // closed when the compression in flight is done; nil if none
	gzErr  error         // the first compression error
}

// OpenLocalFile opens (appending) or creates the local log at path. With
// Compress, it also compresses rotated files left uncompressed by an
// interrupted writer.
func OpenLocalFile(path string, cfg LocalConfig) (*LocalFile, error) {
	w := &LocalFile{path: path, maxSize: cfg.MaxSize, maxFiles: cfg.MaxFiles, compress: cfg.Compress, compressed: cfg.Compressed}
	if w.maxSize == 0 {
		w.maxSize = DefaultMaxSize
	}
	if w.maxFiles <= 0 {
		w.maxFiles = DefaultMaxFiles
	}
	w.compress = w.compress && w.maxFiles > 1
	if err := w.open(); err != nil {
		return nil, err
	}
	if w.compress {
		w.resumeCompression()
	}
	return w, nil
}

// open opens <path>, or creates it numbered after the newest rotated file.
// A file without its header, or that ends in part of a record (its writer
// stopped in the middle of one), gets no more records: the first write
// starts a new file.
func (w *LocalFile) open() error {
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
	_, _, whole, err := localTail(f, 0)
	if err != nil {
		f.Close()
		return err
	}
	seq, ok := headerSeq(logFile{File: f})
	if !ok {
		if seq, err = w.newestSeq(); err != nil {
			f.Close()
			return err
		}
	}
	w.f, w.size, w.seq, w.torn = f, fi.Size(), seq, !ok || !whole
	return nil
}

func (w *LocalFile) openNew() error {
	seq, err := w.newestSeq()
	if err != nil {
		return err
	}
	f, err := w.create(seq + 1)
	if err != nil {
		return err
	}
	if err := os.Rename(f.Name(), w.path); err != nil {
		f.Close()
		return err
	}
	w.f, w.size, w.seq = f, headerSize, seq+1
	return nil
}

// newestSeq is the sequence number of the newest rotated file, 0 if none.
func (w *LocalFile) newestSeq() (uint64, error) {
	names, err := rotatedNames(w.path)
	if err != nil || len(names) == 0 {
		return 0, err
	}
	seq, _ := fileSeq(names[len(names)-1])
	return seq, nil
}

// create makes <path>.new holding the header of file number seq, to be
// renamed into place: readers never see a log file without its header.
func (w *LocalFile) create(seq uint64) (*os.File, error) {
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
// (a full disk) the next one starts a new file: records are never written
// after part of one, so readers never lose their place.
func (w *LocalFile) Write(stream string, line []byte, t time.Time) error {
	kind, ok := kindOf(stream)
	if !ok {
		return errors.New("unknown log stream " + stream)
	}
	if len(line) > MaxLocalLine {
		return errLineTooLong
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return os.ErrClosed
	}
	w.buf = appendRecord(w.buf[:0], kind, line, t)
	if w.torn || w.maxSize > 0 && w.size > headerSize && w.size+int64(len(w.buf)) > w.maxSize {
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
// rotation leaves the current file in place. Then <path>.1 is compressed
// in the background; the next rotation waits for that.
func (w *LocalFile) rotate() error {
	w.waitCompression()
	next, err := w.create(w.seq + 1)
	if err != nil {
		return err
	}
	if w.maxFiles > 1 {
		err = w.shift()
	}
	if err == nil {
		err = os.Rename(next.Name(), w.path)
	}
	if err != nil {
		next.Close()
		os.Remove(next.Name())
		return err
	}
	w.f.Close()
	w.f, w.size, w.seq, w.torn = next, headerSize, w.seq+1, false
	if w.compress {
		w.startCompression([]string{w.rotated(1)})
	}
	return nil
}

// shift renames <path>.N-2 ... <path>.1 (either compressed or not) one
// number up, and <path> to <path>.1.
func (w *LocalFile) shift() error {
	for _, name := range []string{w.rotated(w.maxFiles - 1), w.rotated(w.maxFiles-1) + gzExt} {
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	for i := w.maxFiles - 1; i > 1; i-- {
		for _, ext := range []string{"", gzExt} {
			err := os.Rename(w.rotated(i-1)+ext, w.rotated(i)+ext)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return os.Rename(w.path, w.rotated(1))
}

func (w *LocalFile) rotated(n int) string { return rotatedName(w.path, n) }

// resumeCompression compresses rotated files an earlier writer did not
// (it stopped during a compression), and drops its temporary files.
func (w *LocalFile) resumeCompression() {
	tmps, _ := filepath.Glob(w.path + ".*" + gzExt + tmpExt)
	for _, tmp := range tmps {
		os.Remove(tmp)
	}
	nums, _ := rotatedNums(w.path)
	var plain []string
	for _, n := range nums {
		if _, err := os.Lstat(w.rotated(n)); err == nil {
			plain = append(plain, w.rotated(n))
		}
	}
	if len(plain) > 0 {
		w.startCompression(plain)
	}
}

// startCompression gzips files in a goroutine. Called with w.mu held, or
// before w is shared.
func (w *LocalFile) startCompression(names []string) {
	done := make(chan struct{})
	w.gzDone = done
	go func() {
		defer close(done)
		for _, name := range names {
			if err := gzipFile(name); err != nil && w.gzErr == nil {
				w.gzErr = err // read by waitCompression's caller after done
			}
		}
		if w.compressed != nil {
			w.compressed()
		}
	}()
}

// waitCompression waits for the compression in flight, if any.
func (w *LocalFile) waitCompression() {
	if w.gzDone != nil {
		<-w.gzDone
		w.gzDone = nil
	}
}

// Close closes the file, once a compression in flight is done; later
// writes fail. It returns the first error of a compression, if any.
func (w *LocalFile) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	w.waitCompression()
	err := w.f.Close()
	w.f = nil
	return errors.Join(err, w.gzErr)
}

// fileSeq reads the sequence number in the header of the log file name.
func fileSeq(name string) (uint64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	seq, _ := headerSeq(logFile{name: name, File: f, gz: strings.HasSuffix(name, gzExt)})
	return seq, nil
}

// headerSeq reads f's sequence number; false if f has no header (yet).
func headerSeq(f logFile) (uint64, bool) {
	var r io.Reader = io.NewSectionReader(f.File, 0, headerSize)
	if f.gz {
		zr, err := newGzipReader(io.NewSectionReader(f.File, 0, 1<<62))
		if err != nil {
			return 0, false
		}
		r = zr
	}
	return readHeader(r)
}
