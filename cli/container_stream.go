package cli

// The standard streams of a hijacked attach or exec connection: raw
// terminal mode, stdin copied to the daemon (half-closed at EOF), output
// copied back raw (tty) or demultiplexed (stdcopy), detach keys.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/moby/term"
)

// defaultDetachKeys is ctrl-p ctrl-q.
var defaultDetachKeys = []byte{16, 17}

// hijackedIO says which streams a hijacked connection carries and where
// they go.
type hijackedIO struct {
	in          io.Reader // nil when stdin is not attached
	out, errOut io.Writer // nil when not attached
	tty         bool
	detachKeys  string
}

// isDetach reports whether err is the user typing the detach keys.
func isDetach(err error) bool {
	var e term.EscapeError
	return errors.As(err, &e)
}

// checkDetachKeys checks a --detach-keys value ("ctrl-p,ctrl-q", "a,b").
func checkDetachKeys(keys string) error {
	if keys == "" {
		return nil
	}
	if _, err := term.ToBytes(keys); err != nil {
		return fmt.Errorf("Invalid detach keys (%s) provided", keys)
	}
	return nil
}

// streamHijacked copies the streams over resp until the output ends, the
// user detaches (a term.EscapeError) or ctx is cancelled. With a tty and
// stdin, the local terminal is raw meanwhile and restored before it
// returns.
func (c *CLI) streamHijacked(ctx context.Context, resp client.HijackedResponse, h hijackedIO) error {
	restore := func() {}
	if h.in != nil && h.tty {
		var err error
		if restore, err = c.setRawTerminal(); err != nil {
			return fmt.Errorf("unable to set IO streams as raw terminal: %s", err)
		}
		defer restore()
		keys := defaultDetachKeys
		if b, err := term.ToBytes(h.detachKeys); err == nil && h.detachKeys != "" {
			keys = b
		}
		h.in = term.NewEscapeProxy(h.in, keys)
	}
	outputDone := copyOutput(resp, h, restore)
	inputDone, detached := copyInput(resp, h, restore)
	select {
	case err := <-outputDone:
		return err
	case <-inputDone:
		if outputDone == nil {
			return nil
		}
		select {
		case err := <-outputDone:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	case err := <-detached:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// copyOutput copies the container's output to h.out and h.errOut; nil
// when neither is attached.
func copyOutput(resp client.HijackedResponse, h hijackedIO, restore func()) <-chan error {
	if h.out == nil && h.errOut == nil {
		return nil
	}
	done := make(chan error, 1)
	go func() {
		var err error
		if h.tty && h.out != nil {
			_, err = io.Copy(h.out, resp.Reader)
			restore()
		} else {
			_, err = stdcopy.StdCopy(orDiscard(h.out), orDiscard(h.errOut), resp.Reader)
		}
		done <- err
	}()
	return done
}

// copyInput copies stdin to the connection and then half-closes it, at
// once when there is no stdin.
func copyInput(resp client.HijackedResponse, h hijackedIO, restore func()) (<-chan struct{}, <-chan error) {
	done := make(chan struct{})
	detached := make(chan error, 1)
	go func() {
		if h.in != nil {
			_, err := io.Copy(resp.Conn, h.in)
			restore()
			if isDetach(err) {
				detached <- err
				return
			}
		}
		_ = resp.CloseWrite()
		close(done)
	}()
	return done, detached
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// setRawTerminal puts the standard input and output terminals in raw
// mode, and returns the function that restores them (once).
func (c *CLI) setRawTerminal() (func(), error) {
	var restores []func()
	if fd, ok := term.GetFdInfo(c.in); ok {
		state, err := term.SetRawTerminal(fd)
		if err != nil {
			return nil, err
		}
		restores = append(restores, func() { _ = term.RestoreTerminal(fd, state) })
	}
	if fd, ok := term.GetFdInfo(c.out); ok {
		state, err := term.SetRawTerminalOutput(fd)
		if err != nil {
			return nil, err
		}
		if state != nil {
			restores = append(restores, func() { _ = term.RestoreTerminal(fd, state) })
		}
	}
	return sync.OnceFunc(func() {
		for _, r := range restores {
			r()
		}
	}), nil
}

// ttySize is the height and width of the terminal on standard output;
// zeros when it is not a terminal.
func (c *CLI) ttySize() (height, width uint) {
	fd, ok := term.GetFdInfo(c.out)
	if !ok {
		return 0, 0
	}
	ws, err := term.GetWinsize(fd)
	if err != nil {
		return 0, 0
	}
	return uint(ws.Height), uint(ws.Width)
}
