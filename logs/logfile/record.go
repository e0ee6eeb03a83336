package logfile

import (
	"encoding/binary"
	"io"
	"time"
)

// The local format: a file is a sequence of records, each
//
//	length  uint32, big-endian: the bytes from kind to the end of text (L)
//	kind    byte: 1 stdout, 2 stderr, 0 the file's header
//	flags   byte: bit 0 set for a partial message (text has no newline)
//	time    int64, big-endian: unix nanoseconds
//	text    L-10 bytes: the message without its newline
//	length  uint32, big-endian: L again, so that tail can walk backwards
//
// The first record of every file is its header: kind 0, the time the file
// was created, and as text "BERTHLOG" and the file's sequence number
// (uint64, big-endian). Each new file of a log is numbered after the
// last, which is how a follower finds the file after the one it read,
// whatever its name is by then (rotated files are renamed, and
// compressed).
const (
	kindHeader byte = 0
	kindStdout byte = 1
	kindStderr byte = 2

	flagPartial byte = 1

	recordBody    = 10 // kind, flags, time
	frameSize     = 8  // the two lengths
	localMagic    = "BERTHLOG"
	maxRecordBody = recordBody + MaxRecordLine // a longer length is damage

	// HeaderSize is the length of a local file's header record.
	HeaderSize = frameSize + recordBody + 8 + 8 // localMagic, seq
	// MinRecordSize is the length of the shortest record.
	MinRecordSize = frameSize + recordBody
	// MaxRecordLine is the longest message Local takes (LineWriter's are
	// at most MaxLine).
	MaxRecordLine = 1 << 20
)

// A Record is one record of a local log file.
type Record struct {
	Header  bool   // the file's header, not a message
	Seq     uint64 // the file's sequence number (Header)
	Stream  string // Stdout or Stderr
	Partial bool   // Text has no newline (a long line's piece)
	Time    int64  // unix nanoseconds
	Text    []byte // the message without its newline; it aliases the input
}

// AppendRecord appends the record of one message; line is its text with
// its newline, unless it is partial. stream is Stdout, else Stderr.
func AppendRecord(dst []byte, stream string, line []byte, t time.Time) []byte {
	kind := kindStderr
	if stream == Stdout {
		kind = kindStdout
	}
	flags := flagPartial
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line, flags = line[:n-1], 0
	}
	return appendFramed(dst, kind, flags, t.UnixNano(), line)
}

func appendFramed(dst []byte, kind, flags byte, nanos int64, text []byte) []byte {
	n := uint32(recordBody + len(text))
	dst = binary.BigEndian.AppendUint32(dst, n)
	dst = append(dst, kind, flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(nanos))
	dst = append(dst, text...)
	return binary.BigEndian.AppendUint32(dst, n)
}

// appendHeader appends the header record of file number seq.
func appendHeader(dst []byte, seq uint64, t time.Time) []byte {
	var text [len(localMagic) + 8]byte
	copy(text[:], localMagic)
	binary.BigEndian.PutUint64(text[len(localMagic):], seq)
	return appendFramed(dst, kindHeader, 0, t.UnixNano(), text[:])
}

// NextRecord decodes the record at the start of b and returns its length.
// With ok false, n is 0 if b holds only part of a record (the rest is
// not written yet), or 1 if b does not start with a record: damage, of
// which the caller skips a byte before it looks again.
func NextRecord(b []byte) (n int, r Record, ok bool) {
	if len(b) < 6 {
		return 0, r, false
	}
	size := binary.BigEndian.Uint32(b)
	n = int(size) + frameSize
	kind, flags := b[4], b[5]
	if size < recordBody || size > maxRecordBody || kind > kindStderr || flags > flagPartial ||
		kind == kindHeader && (n != HeaderSize || flags != 0) {
		return 1, r, false
	}
	if len(b) < n {
		return 0, r, false
	}
	if binary.BigEndian.Uint32(b[n-4:]) != size {
		return 1, r, false
	}
	r.Time = int64(binary.BigEndian.Uint64(b[6:]))
	r.Text = b[4+recordBody : n-4]
	switch kind {
	case kindHeader:
		if string(r.Text[:len(localMagic)]) != localMagic {
			return 1, r, false
		}
		r.Header, r.Seq, r.Text = true, binary.BigEndian.Uint64(r.Text[len(localMagic):]), nil
	case kindStdout:
		r.Stream = Stdout
	default:
		r.Stream = Stderr
	}
	r.Partial = flags&flagPartial != 0
	return n, r, true
}

// ReadHeader reads the header record at the start of a local log file
// and returns the file's sequence number; false if it has none (yet).
func ReadHeader(f io.Reader) (uint64, bool) {
	var b [HeaderSize]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return 0, false
	}
	_, r, ok := NextRecord(b[:])
	return r.Seq, ok && r.Header
}
