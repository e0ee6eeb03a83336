package logs

import (
	"encoding/binary"
	"errors"
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
// was created and as text localMagic and the file's sequence number
// (uint64, big-endian). Each new file of a log gets the next number, which
// is how a follower finds the file after the one it read, whatever its
// name is by then (rotated files are renamed, then compressed).
const (
	kindHeader byte = 0
	kindStdout byte = 1
	kindStderr byte = 2

	flagPartial byte = 1

	recordBody    = 10 // kind, flags, time
	frameSize     = 8  // the two lengths
	localMagic    = "BERTHLOG"
	headerSize    = frameSize + recordBody + 8 + 8 // localMagic and seq
	maxRecordBody = recordBody + 1<<20             // a longer length is damage
)

// MaxLocalLine is the longest message LocalFile takes. LineWriter's are at
// most MaxLine.
const MaxLocalLine = maxRecordBody - recordBody

var errLineTooLong = errors.New("log message too long")

// appendRecord appends the record of one message; line is its text with
// its newline, unless it is partial.
func appendRecord(dst []byte, kind byte, line []byte, t time.Time) []byte {
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

// splitRecord finds the record at the start of b and returns its length
// and its body (kind to text). With ok false, n is 0 if the record is not
// complete yet, or 1 if b does not start with a record (damage: the caller
// skips a byte and looks again).
func splitRecord(b []byte) (n int, body []byte, ok bool) {
	if len(b) < 4 {
		return 0, nil, false
	}
	size := binary.BigEndian.Uint32(b)
	if size < recordBody || size > maxRecordBody {
		return 1, nil, false
	}
	n = int(size) + frameSize
	if len(b) < 6 {
		return 0, nil, false
	}
	if kind := b[4]; kind > kindStderr || kind == kindHeader && n != headerSize || b[5] > flagPartial {
		return 1, nil, false
	}
	if len(b) < n {
		return 0, nil, false
	}
	if binary.BigEndian.Uint32(b[n-4:]) != size {
		return 1, nil, false
	}
	return n, b[4 : n-4], true
}

// decodeRecord decodes a record body into m, reusing m.Line's memory;
// false for the header.
func decodeRecord(m *Message, body []byte) bool {
	switch body[0] {
	case kindStdout:
		m.Stream = Stdout
	case kindStderr:
		m.Stream = Stderr
	default:
		return false
	}
	m.Time = time.Unix(0, int64(binary.BigEndian.Uint64(body[2:]))).UTC()
	m.Line = append(m.Line[:0], body[recordBody:]...)
	if body[1]&flagPartial == 0 {
		m.Line = append(m.Line, '\n')
	}
	return true
}

// isMessage says whether a record body is a message (not the header).
func isMessage(body []byte) bool { return body[0] != kindHeader }

// readHeader reads the header record at the start of r and returns the
// file's sequence number; false if r does not start with one.
func readHeader(r io.Reader) (uint64, bool) {
	var b [headerSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, false
	}
	n, body, ok := splitRecord(b[:])
	if !ok || n != headerSize || body[0] != kindHeader || string(body[recordBody:recordBody+len(localMagic)]) != localMagic {
		return 0, false
	}
	return binary.BigEndian.Uint64(body[recordBody+len(localMagic):]), true
}

func kindOf(stream string) (byte, bool) {
	switch stream {
	case Stdout:
		return kindStdout, true
	case Stderr:
		return kindStderr, true
	}
	return 0, false
}
