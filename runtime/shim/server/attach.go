package server

import (
	"encoding/binary"
	"os"
	"sync"
)

// attachment is a client receiving a process's output on its connection:
// raw bytes with a tty, else Docker's stream framing (an 8-byte header
// [stream, 0, 0, 0, uint32 big-endian length] before each chunk).
type attachment struct {
	conn           *os.File
	stdout, stderr bool
	framed         bool

	mu  sync.Mutex // serialises writes to conn; guards buf
	buf []byte     // a frame being written

	closeOnce sync.Once
}

func newAttachment(conn *os.File, stdout, stderr, framed bool) *attachment {
	return &attachment{conn: conn, stdout: stdout, stderr: stderr, framed: framed}
}

func (a *attachment) wants(stream byte) bool {
	return stream == streamStdout && a.stdout || stream == streamStderr && a.stderr
}

func (a *attachment) write(stream byte, b []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.framed {
		_, err := a.conn.Write(b)
		return err
	}
	a.buf = append(a.buf[:0], stream, 0, 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(a.buf[4:], uint32(len(b)))
	a.buf = append(a.buf, b...)
	_, err := a.conn.Write(a.buf)
	return err
}

func (a *attachment) close() {
	a.closeOnce.Do(func() { a.conn.Close() })
}
