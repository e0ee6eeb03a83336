// Package logs writes and reads container logs in Docker's json-file format.
//
// The shim writes them (JSONFile, fed by a LineWriter per stream); berthd
// reads them for GET /containers/{id}/logs (Read). A log file holds one JSON
// object per line, as Docker writes it:
//
//	{"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
//
// Rotation keeps at most MaxFiles files: <path> is written, <path>.1 is the
// newest rotated file, <path>.N-1 the oldest. Every line is written with one
// write(2), so a reader sees whole lines only (it also ignores a last line
// without its newline until it is complete).
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
