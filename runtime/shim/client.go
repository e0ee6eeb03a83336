package shim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/berth/berth/runtime/shim/protocol"
)

// request is a request line (see docs/shim.md).
type request struct {
	Op      string          `json:"op"`
	Stdin   bool            `json:"stdin,omitempty"`
	Stdout  bool            `json:"stdout,omitempty"`
	Stderr  bool            `json:"stderr,omitempty"`
	Height  uint            `json:"height,omitempty"`
	Width   uint            `json:"width,omitempty"`
	Signal  int             `json:"signal,omitempty"`
	All     bool            `json:"all,omitempty"`
	ID      string          `json:"id,omitempty"`
	Process json.RawMessage `json:"process,omitempty"`
	Tty     bool            `json:"tty,omitempty"`
	Detach  bool            `json:"detach,omitempty"`
}

// Client talks to one shim. Each call is one connection, so a Client is
// safe for concurrent use and holds nothing open between calls.
type Client struct {
	socket   string
	exitFile string
}

// Connect returns a client of the shim serving state directory dir,
// checking that it answers; ErrNotRunning if it is gone.
func Connect(dir string) (*Client, error) {
	var opts Options
	b, err := os.ReadFile(filepath.Join(dir, protocol.OptionsFile))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &opts); err != nil {
		return nil, err
	}
	c := &Client{socket: filepath.Join(dir, protocol.SocketFile), exitFile: opts.ExitFile}
	if c.exitFile == "" {
		c.exitFile = filepath.Join(dir, protocol.ExitFile)
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if err := c.call(ctx, request{Op: protocol.OpState}, nil); err != nil {
		return nil, err
	}
	return c, nil
}

// connectTimeout bounds Connect's check that the shim answers.
const connectTimeout = 10 * time.Second

// Start starts the created container (runc start). Attach first to miss
// no output.
func (c *Client) Start(ctx context.Context) error {
	return c.call(ctx, request{Op: protocol.OpStart}, nil)
}

// Attach returns the container's output stream, after the response line:
// raw with a tty, else in Docker's stream framing, which the caller can
// relay unchanged. What the caller writes is the container's stdin (if it
// has one open); CloseWrite ends it for a StdinOnce container. The shim
// closes the stream when the container exited and its output is drained.
func (c *Client) Attach(ctx context.Context, stdin, stdout, stderr bool) (net.Conn, error) {
	return c.stream(ctx, request{Op: protocol.OpAttach, Stdin: stdin, Stdout: stdout, Stderr: stderr}, nil)
}

// Resize sets the size of the container's pty.
func (c *Client) Resize(ctx context.Context, height, width uint) error {
	return c.call(ctx, request{Op: protocol.OpResize, Height: height, Width: width}, nil)
}

// Kill signals the container's init, or with all every process in it.
func (c *Client) Kill(ctx context.Context, sig syscall.Signal, all bool) error {
	return c.call(ctx, request{Op: protocol.OpKill, Signal: int(sig), All: all}, nil)
}

// Pause freezes the container.
func (c *Client) Pause(ctx context.Context) error {
	return c.call(ctx, request{Op: protocol.OpPause}, nil)
}

// Resume thaws the container.
func (c *Client) Resume(ctx context.Context) error {
	return c.call(ctx, request{Op: protocol.OpResume}, nil)
}

// State returns the container's state; once the shim is gone, what the
// exit file says (or ErrNotRunning without one).
func (c *Client) State(ctx context.Context) (State, error) {
	var st State
	err := c.call(ctx, request{Op: protocol.OpState}, &st)
	if errors.Is(err, ErrNotRunning) {
		if e, ok, rerr := ReadExit(c.exitFile); rerr == nil && ok {
			return State{Status: StatusStopped, ExitCode: e.ExitCode, ExitedAt: e.ExitedAt}, nil
		}
	}
	return st, err
}

// Wait blocks until the container exited. If the shim goes away while
// waiting, its exit file answers.
func (c *Client) Wait(ctx context.Context) (Exit, error) {
	var e Exit
	err := c.call(ctx, request{Op: protocol.OpWait}, &e)
	if errors.Is(err, ErrNotRunning) {
		if fe, ok, rerr := ReadExit(c.exitFile); rerr == nil && ok {
			return fe, nil
		}
	}
	return e, err
}

// Exec starts a process in the running container and returns its stream,
// as Attach does (framed unless req.Tty; stdin if req.Stdin). The stream
// ends when the process exited and its output is drained; ExecState then
// has its exit code. A detached exec's stream carries nothing but also
// ends at exit.
func (c *Client) Exec(ctx context.Context, req ExecRequest) (net.Conn, error) {
	process, err := json.Marshal(req.Process)
	if err != nil {
		return nil, err
	}
	var started protocol.ExecStarted
	return c.stream(ctx, request{
		Op: protocol.OpExec, ID: req.ID, Process: process, Tty: req.Tty, Stdin: req.Stdin, Detach: req.Detach,
	}, &started)
}

// ExecState returns the state of exec id.
func (c *Client) ExecState(ctx context.Context, id string) (ExecState, error) {
	var st ExecState
	err := c.call(ctx, request{Op: protocol.OpExecState, ID: id}, &st)
	return st, err
}

// ExecResize sets the size of exec id's pty.
func (c *Client) ExecResize(ctx context.Context, id string, height, width uint) error {
	return c.call(ctx, request{Op: protocol.OpExecResize, ID: id, Height: height, Width: width}, nil)
}

// call sends req and decodes the response into resp (if not nil).
func (c *Client) call(ctx context.Context, req request, resp any) error {
	conn, err := c.stream(ctx, req, resp)
	if err != nil {
		return err
	}
	return conn.Close()
}

// stream sends req, reads the response line into resp and returns the
// connection for what follows.
func (c *Client) stream(ctx context.Context, req request, resp any) (net.Conn, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	err = exchange(conn, req, resp)
	if !stop() || ctx.Err() != nil {
		err = errors.Join(ctx.Err(), err)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

func (c *Client) dial(ctx context.Context) (*net.UnixConn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.socket)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, ErrNotRunning
		}
		return nil, err
	}
	return conn.(*net.UnixConn), nil
}

// exchange writes the request line and reads the response line byte by
// byte, so that no byte of the stream after it is consumed.
func exchange(conn net.Conn, req request, resp any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return notRunningIfClosed(err)
	}
	line, err := readLine(conn)
	if err != nil {
		return notRunningIfClosed(err)
	}
	var e protocol.Error
	if err := json.Unmarshal(line, &e); err != nil {
		return err
	}
	if e.Error != "" {
		return newError(e.Error, e.Kind)
	}
	if resp == nil {
		return nil
	}
	return json.Unmarshal(line, resp)
}

func readLine(r io.Reader) ([]byte, error) {
	var line []byte
	var b [1]byte
	for {
		if _, err := r.Read(b[:]); err != nil {
			return nil, err
		}
		if b[0] == '\n' {
			return line, nil
		}
		if len(line) >= protocol.MaxRequestLen {
			return nil, errors.New("shim response too long")
		}
		line = append(line, b[0])
	}
}

// notRunningIfClosed maps a connection the shim closed without answering
// (it exited) to ErrNotRunning.
func notRunningIfClosed(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return ErrNotRunning
	}
	return err
}
