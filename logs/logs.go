// Package logs reads container logs, as berthd serves them for
// GET /containers/{id}/logs and attach's logs=1 (Read, ReadLocal), and
// compresses the rotated files of local logs (CompressRotated).
//
// The shim writes the logs with package logfile, in the formats of
// Docker's json-file driver, one JSON object per line:
//
//	{"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
//
// or of its local driver, length-framed binary records whose rotated files
// may be gzip-compressed (logfile's record.go). docs/logs.md describes
// both and how a reader follows a log across rotations.
package logs

import (
	"time"

	"github.com/berth/berth/logs/logfile"
)

// Stream names as they appear in Message.Stream.
const (
	Stdout = logfile.Stdout
	Stderr = logfile.Stderr
)

// Message is one log entry.
type Message struct {
	Stream string    // Stdout or Stderr
	Line   []byte    // the text, with its newline unless it is a partial message
	Time   time.Time // when the shim read it, UTC
}
