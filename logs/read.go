package logs

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"time"
)

// ReadOptions select what Read yields; they mirror the query of
// GET /containers/{id}/logs.
type ReadOptions struct {
	Stdout, Stderr bool
	Since, Until   time.Time // zero: no bound
	Tail           int       // the last Tail messages, counted before the other filters; < 0: all
	Timestamps     bool      // prefix Line with the time, as Docker does
	Follow         bool      // keep yielding messages as they are written
	// Done, when closed, ends a follow once what was written is read: close
	// it when the container has exited.
	Done <-chan struct{}
}

// RFC3339NanoFixed is the time format of timestamps in log output.
const RFC3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

// pollInterval is how often a follow looks for new lines and rotations.
const pollInterval = 50 * time.Millisecond

// Read yields the messages of the json-file log at path in order, across
// rotated files. The Message is reused: it is valid until the next
// iteration. A read error is yielded once, last. Without Follow it stops
// at the end of what is written; with Follow when ctx is cancelled, Done
// is closed and drained, or Until has passed. A missing log is empty.
func Read(ctx context.Context, path string, opts ReadOptions) iter.Seq2[*Message, error] {
	return read(ctx, path, opts, jsonFormat{})
}

// ReadLocal is Read for a log in the local format (logfile.Local), whose
// rotated files may be compressed (<path>.N.gz).
func ReadLocal(ctx context.Context, path string, opts ReadOptions) iter.Seq2[*Message, error] {
	return read(ctx, path, opts, localFormat{})
}

func read(ctx context.Context, path string, opts ReadOptions, f format) iter.Seq2[*Message, error] {
	return func(yield func(*Message, error) bool) {
		r := &reader{path: path, opts: opts, yield: yield, format: f}
		r.sc.split = f.split
		if err := r.run(ctx); err != nil && !errors.Is(err, errStop) {
			yield(nil, err)
		}
	}
}

// errStop ends a read early: the consumer stopped, or Until was passed.
var errStop = errors.New("stop")

type reader struct {
	path   string
	opts   ReadOptions
	yield  func(*Message, error) bool
	format format
	msg    Message
	out    []byte // Line with its timestamp
	sc     scanner
	gz     *gzip.Reader // reused for every compressed file
}

func (r *reader) run(ctx context.Context) error {
	files, err := openFiles(r.path)
	if err != nil {
		return err
	}
	defer func() { closeFiles(files) }()
	first, off := 0, int64(0)
	if r.opts.Tail >= 0 {
		if first, off, err = r.tailStart(files, r.opts.Tail); err != nil {
			return err
		}
	}
	for i := first; i < len(files); i++ {
		if err := r.open(files[i], off); err != nil {
			return err
		}
		off = 0
		if err := r.drain(); err != nil {
			return err
		}
	}
	if !r.opts.Follow {
		return nil
	}
	var cur *logFile
	if len(files) > 0 {
		cur = &files[len(files)-1]
		files = files[:len(files)-1] // cur is now the follower's to close
	}
	return r.follow(ctx, cur)
}

// open makes the scanner read f from offset off (of its uncompressed
// content).
func (r *reader) open(f logFile, off int64) error {
	if !f.gz {
		return r.sc.reset(f.File, off)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var err error
	if r.gz == nil {
		r.gz, err = gzip.NewReader(f)
	} else {
		err = r.gz.Reset(f)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	r.sc.start, r.sc.end, r.sc.off = 0, 0, 0
	r.sc.f = r.gz
	if _, err := io.CopyN(io.Discard, r.gz, off); err != nil {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	r.sc.off = off
	return nil
}

// drain yields every complete entry of the current file.
func (r *reader) drain() error {
	for {
		entry, ok, err := r.sc.next()
		if err != nil || !ok {
			return err
		}
		if err := r.emit(entry); err != nil {
			return err
		}
	}
}

// emit decodes and filters one entry and yields it.
func (r *reader) emit(entry []byte) error {
	m := &r.msg
	if !r.format.decode(m, entry) {
		return nil // a damaged line is skipped, as a reader cannot repair it
	}
	if !r.opts.Until.IsZero() && m.Time.After(r.opts.Until) {
		return errStop
	}
	if !r.opts.Since.IsZero() && m.Time.Before(r.opts.Since) {
		return nil
	}
	if m.Stream == Stdout && !r.opts.Stdout || m.Stream == Stderr && !r.opts.Stderr {
		return nil
	}
	if r.opts.Timestamps {
		r.out = m.Time.UTC().AppendFormat(r.out[:0], RFC3339NanoFixed)
		r.out = append(r.out, ' ')
		r.out = append(r.out, m.Line...)
		m.Line, r.out = r.out, m.Line
	}
	if !r.yield(m, nil) {
		return errStop
	}
	return nil
}

// scanner reads the complete entries of one file; an incomplete last
// entry stays buffered until the rest is written.
type scanner struct {
	f          io.Reader
	split      splitFunc
	buf        []byte
	start, end int   // buf[start:end] is read but not returned
	off        int64 // offset of buf[end] in what f yields
}

// splitFunc finds the entry at the start of b: its length n, framing
// included, and the entry. With ok false, n is 0 if the entry is not
// complete yet, else the length of damage to skip.
type splitFunc func(b []byte) (n int, entry []byte, ok bool)

func (s *scanner) reset(f *os.File, off int64) error {
	s.f, s.start, s.end, s.off = f, 0, 0, off
	_, err := f.Seek(off, io.SeekStart)
	return err
}

// pos is the offset of the next entry.
func (s *scanner) pos() int64 { return s.off - int64(s.end-s.start) }

// next returns the next complete entry; false when none is complete yet.
func (s *scanner) next() ([]byte, bool, error) {
	for {
		for s.start < s.end {
			n, entry, ok := s.split(s.buf[s.start:s.end])
			if n == 0 {
				break
			}
			s.start += n
			if ok {
				return entry, true, nil
			}
		}
		n, err := s.fill()
		if n == 0 || err != nil {
			return nil, false, err
		}
	}
}

// fill reads more of the file after the buffered bytes, growing the
// buffer for an entry longer than it.
func (s *scanner) fill() (int, error) {
	if s.buf == nil {
		s.buf = make([]byte, 256<<10)
	}
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	if s.end == len(s.buf) {
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	n, err := s.f.Read(s.buf[s.end:])
	s.end += n
	s.off += int64(n)
	if err == io.EOF {
		err = nil
	}
	return n, err
}
