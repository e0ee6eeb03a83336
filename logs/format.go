package logs

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"time"

	"github.com/berth/berth/logs/logfile"
)

// format is what a reader needs to know of a driver's files.
type format interface {
	// split finds the entry at the start of b (a splitFunc).
	split(b []byte) (n int, entry []byte, ok bool)
	// decode decodes an entry into m; false if it is no message.
	decode(m *Message, entry []byte) bool
	// counts says whether an entry counts as a message for Tail.
	counts(entry []byte) bool
	// tail returns the offset at which the last n messages of the
	// uncompressed file f start, walking back from its end; with fewer it
	// returns 0 and their count. ok false: f cannot be walked back (its
	// last entry is incomplete, or it is damaged), count from the start.
	tail(f *os.File, n int) (off int64, found int, ok bool, err error)
	// bySeq says whether a follower finds the next file by the sequence
	// numbers in the files' headers, else by which file has which name.
	bySeq() bool
}

// jsonFormat is Docker's json-file: one JSON object per line.
type jsonFormat struct{}

func (jsonFormat) split(b []byte) (int, []byte, bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return 0, nil, false
	}
	return i + 1, b[:i], true
}

func (jsonFormat) decode(m *Message, line []byte) bool { return decodeEntry(m, line) == nil }

// counts: a damaged line counts too, as a backward walk cannot tell.
func (jsonFormat) counts([]byte) bool { return true }

func (jsonFormat) tail(f *os.File, n int) (int64, int, bool, error) {
	off, found, err := lineTail(f, n)
	return off, found, true, err
}

func (jsonFormat) bySeq() bool { return false }

// localFormat is the local driver's: length-framed records
// (logfile.NextRecord).
type localFormat struct{}

func (localFormat) split(b []byte) (int, []byte, bool) {
	n, _, ok := logfile.NextRecord(b)
	if !ok {
		return n, nil, false
	}
	return n, b[:n], true
}

func (localFormat) decode(m *Message, rec []byte) bool {
	_, r, _ := logfile.NextRecord(rec)
	if r.Header {
		return false
	}
	m.Stream = r.Stream
	m.Time = time.Unix(0, r.Time).UTC()
	m.Line = append(m.Line[:0], r.Text...)
	if !r.Partial {
		m.Line = append(m.Line, '\n')
	}
	return true
}

func (localFormat) counts(rec []byte) bool {
	_, r, _ := logfile.NextRecord(rec)
	return !r.Header
}

func (localFormat) bySeq() bool { return true }

func (localFormat) tail(f *os.File, n int) (int64, int, bool, error) { return localTail(f, n) }

// localTail walks back from the end of f by the length that ends each
// record, checking the record it finds as a forward read would. It gives
// up (ok false) where that fails: a record still being written, or damage.
func localTail(f *os.File, n int) (off int64, found int, ok bool, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, false, err
	}
	w := backWindow{f: f}
	for pos := fi.Size(); pos > 0; {
		if pos < logfile.MinRecordSize {
			return 0, 0, false, nil
		}
		b, err := w.at(pos-4, 4)
		if b == nil {
			return 0, 0, false, err
		}
		start := pos - int64(binary.BigEndian.Uint32(b)) - 8 // the lengths
		if pos-start < logfile.MinRecordSize || pos-start > logfile.MaxRecordLine+logfile.MinRecordSize || start < 0 {
			return 0, 0, false, nil
		}
		rec, err := w.at(start, int(pos-start))
		if rec == nil {
			return 0, 0, false, err
		}
		if size, r, ok := logfile.NextRecord(rec); !ok || size != len(rec) {
			return 0, 0, false, nil
		} else if !r.Header {
			if found == n {
				return pos, n, true, nil
			}
			found++
		}
		pos = start
	}
	return 0, found, true, nil
}

// backWindow reads a file in blocks, for a walk towards its start.
type backWindow struct {
	f    *os.File
	buf  []byte
	base int64 // file offset of buf[0]
}

// at returns the n bytes at off; nil if the file is shorter (it was
// truncated) or on error.
func (w *backWindow) at(off int64, n int) ([]byte, error) {
	end := off + int64(n)
	if off < w.base || end > w.base+int64(len(w.buf)) {
		size := max(64<<10, n)
		w.base = max(0, end-int64(size))
		if cap(w.buf) < size {
			w.buf = make([]byte, size)
		}
		w.buf = w.buf[:end-w.base]
		if _, err := w.f.ReadAt(w.buf, w.base); err != nil {
			w.buf = w.buf[:0]
			if err == io.EOF {
				err = nil
			}
			return nil, err
		}
	}
	return w.buf[off-w.base : end-w.base], nil
}
