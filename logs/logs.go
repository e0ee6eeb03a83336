// Package logs writes and reads container logs in the formats of Docker's
// json-file and local drivers.
//
// The shim writes them (JSONFile or LocalFile, fed by a LineWriter per
// stream); berthd reads them for GET /containers/{id}/logs (Read,
// ReadLocal). A json-file log holds one JSON object per line, as Docker
// writes it:
//
//	{"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
//
// A local log holds length-framed binary records (local.go); its rotated
// files may be gzip-compressed.
//
// Rotation keeps at most MaxFiles files: <path> is written, <path>.1 is the
// newest rotated file, <path>.N-1 the oldest (<path>.N.gz once compressed).
// Every message is written with one write(2), so a reader sees whole
// entries only (it also ignores a last entry that is not complete yet).
// docs/logs.md describes both formats and how readers follow rotations.
package logs

import "time"

// Stream names as they appear in the "stream" field.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// Message is one log entry.
type Message struct {
	Stream string    // Stdout or Stderr
	Line   []byte    // the text, with its newline unless it is a partial message
	Time   time.Time // when the shim read it, UTC
}

// Writer writes messages to a log file: a JSONFile or a LocalFile.
type Writer interface {
	// Write logs one message: line is its text, with its newline unless
	// it is partial.
	Write(stream string, line []byte, t time.Time) error
	Close() error
}
