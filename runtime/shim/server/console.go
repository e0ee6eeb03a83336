package server

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// consoleSocket is a --console-socket: the runtime connects to it and sends
// the master of the pty it made for the process.
type consoleSocket struct {
	path     string
	l        *listener
	got      chan consoleResult
	received bool
}

type consoleResult struct {
	master *os.File
	err    error
}

// consoleTimeout bounds the wait for the master after the runtime succeeded.
const consoleTimeout = 10 * time.Second

func newConsoleSocket(path string) (*consoleSocket, error) {
	l, err := listen(path)
	if err != nil {
		return nil, err
	}
	c := &consoleSocket{path: path, l: l, got: make(chan consoleResult, 1)}
	go func() {
		conn, err := l.accept()
		if err != nil {
			c.got <- consoleResult{err: err}
			return
		}
		defer conn.Close()
		f, err := recvFd(conn)
		c.got <- consoleResult{f, err}
	}()
	return c, nil
}

// receive returns the master, once the runtime command has succeeded.
func (c *consoleSocket) receive() (*os.File, error) {
	c.received = true
	select {
	case r := <-c.got:
		return r.master, r.err
	case <-time.After(consoleTimeout):
		return nil, errors.New("no console received from the runtime")
	}
}

// close removes the socket; called once the runtime command has exited.
func (c *consoleSocket) close() {
	c.l.close()
	os.Remove(c.path)
	if !c.received {
		if r := <-c.got; r.master != nil {
			r.master.Close()
		}
	}
}

// setWinsize sets the size of the pty whose master is f.
func setWinsize(f *os.File, ws *unix.Winsize) error {
	return control(f, func(fd int) error { return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, ws) })
}
