package logfile

import (
	"errors"
	"os"
	"sync"
	"time"
	"unicode/utf8"
)

// JSON writes a json-file log. It is safe for concurrent use.
type JSON struct {
	path     string
	maxSize  int64
	maxFiles int

	mu   sync.Mutex // guards the fields below
	f    *os.File   // nil once closed
	size int64      // bytes in f
	buf  []byte     // the entry being written
}

// OpenJSON opens (appending) or creates the log file at path.
func OpenJSON(path string, cfg Config) (*JSON, error) {
	cfg = cfg.withDefaults()
	w := &JSON{path: path, maxSize: cfg.MaxSize, maxFiles: cfg.MaxFiles}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *JSON) open() error {
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
func (w *JSON) Write(stream string, line []byte, t time.Time) error {
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
func (w *JSON) rotate() error {
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

func (w *JSON) shift() error {
	for i := w.maxFiles - 1; i > 1; i-- {
		err := os.Rename(w.rotated(i-1), w.rotated(i))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return os.Rename(w.path, w.rotated(1))
}

func (w *JSON) replace() error {
	tmp := w.path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	f.Close()
	return os.Rename(tmp, w.path)
}

func (w *JSON) rotated(n int) string { return RotatedName(w.path, n) }

// Close closes the file; later writes fail.
func (w *JSON) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// appendEntry appends the JSON line of one message, newline included, in
// Docker's field order.
func appendEntry(dst []byte, stream string, line []byte, t time.Time) []byte {
	dst = append(dst, `{"log":`...)
	dst = appendString(dst, line)
	dst = append(dst, `,"stream":"`...)
	dst = append(dst, stream...)
	dst = append(dst, `","time":"`...)
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, "\"}\n"...)
}

const hexDigits = "0123456789abcdef"

// plain marks the ASCII bytes written as they are: printable, and not
// special to JSON or HTML (Docker escapes <, > and & as encoding/json does).
var plain = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if plain[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscapedByte(dst, b)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		} else {
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendEscapedByte(dst []byte, b byte) []byte {
	switch b {
	case '"', '\\':
		return append(dst, '\\', b)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
}
