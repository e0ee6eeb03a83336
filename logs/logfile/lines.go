package logfile

import (
	"bytes"
	"time"
)

// MaxLine is the longest message: a longer line is logged in pieces of
// MaxLine bytes without a newline (Docker's partial messages), the last
// piece with it.
const MaxLine = 16 << 10

// LineWriter cuts one output stream of a container into messages, as
// Docker's log copier does: one per line, long lines in pieces, and the
// bytes left at EOF as a last line (Flush). Not safe for concurrent use:
// each stream has its own.
type LineWriter struct {
	file   Writer
	stream string
	buf    []byte // the start of an unfinished line, shorter than MaxLine
}

// NewLineWriter returns a LineWriter logging stream (Stdout or Stderr) to f.
func NewLineWriter(f Writer, stream string) *LineWriter {
	return &LineWriter{file: f, stream: stream}
}

// Write logs every line completed by p and keeps the rest for later. It
// returns the first error of the log file, having consumed all of p.
func (l *LineWriter) Write(p []byte) (int, error) {
	n := len(p)
	now := time.Now()
	var err error
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	for len(p) > 0 {
		room := MaxLine - len(l.buf)
		i := bytes.IndexByte(p, '\n')
		switch {
		case i >= 0 && i < room && len(l.buf) == 0:
			keep(l.file.Write(l.stream, p[:i+1], now))
			p = p[i+1:]
		case i >= 0 && i < room:
			l.buf = append(l.buf, p[:i+1]...)
			keep(l.file.Write(l.stream, l.buf, now))
			l.buf, p = l.buf[:0], p[i+1:]
		default:
			take := min(room, len(p))
			l.buf, p = append(l.buf, p[:take]...), p[take:]
			if len(l.buf) == MaxLine {
				keep(l.file.Write(l.stream, l.buf, now))
				l.buf = l.buf[:0]
			}
		}
	}
	return n, err
}

// Flush logs an unfinished last line, adding its newline as Docker does.
func (l *LineWriter) Flush() error {
	if len(l.buf) == 0 {
		return nil
	}
	l.buf = append(l.buf, '\n')
	err := l.file.Write(l.stream, l.buf, time.Now())
	l.buf = l.buf[:0]
	return err
}
