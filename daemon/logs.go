package daemon

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"time"

	"github.com/berth/berth/logs"
	"github.com/containerd/errdefs"
)

// LogsOptions are the parameters of GET /containers/{id}/logs.
type LogsOptions struct {
	Stdout, Stderr     bool
	Follow, Timestamps bool
	Since, Until       time.Time
	Tail               int // < 0: all
}

// LogsOutput receives the log stream; Start is called once the request is
// known to be good, with the stream's format (raw for a TTY, else framed).
type LogsOutput interface {
	Start(tty bool) io.Writer
	Flush()
}

// Logs writes the container's logs as GET /containers/{id}/logs: each
// message framed as stdcopy (stream byte, length) unless the container has
// a TTY, timestamps inside the frame.
func (cs *Containers) Logs(ctx context.Context, ref string, opts LogsOptions, out LogsOutput) error {
	c, err := cs.store.Get(ref)
	if err != nil {
		return err
	}
	c.Lock()
	path, tty, driver := c.LogPath, c.Config.Tty, c.HostConfig.LogConfig.Type
	c.Unlock()
	if path == "" {
		return errdefs.ErrNotImplemented.WithMessage(`configured logging driver does not support reading: "` + driver + `"`)
	}
	exited := cs.exitedChan(c.ID)
	w := bufio.NewWriterSize(out.Start(tty), 64<<10)
	read := logs.Read(ctx, path, logs.ReadOptions{
		Stdout: opts.Stdout, Stderr: opts.Stderr, Since: opts.Since, Until: opts.Until, Tail: opts.Tail,
		Timestamps: opts.Timestamps, Follow: opts.Follow, Done: exited,
	})
	for msg, err := range read {
		if err != nil {
			cs.log.Warn("reading container log", "container", c.ID, "err", err)
			break
		}
		if !tty {
			stream := byte(1)
			if msg.Stream == logs.Stderr {
				stream = 2
			}
			if _, err := w.Write(frameHeader(stream, len(msg.Line))); err != nil {
				return nil
			}
		}
		if _, err := w.Write(msg.Line); err != nil {
			return nil
		}
		if opts.Follow {
			if err := w.Flush(); err != nil {
				return nil
			}
			out.Flush()
		}
	}
	_ = w.Flush()
	out.Flush()
	return nil
}

// exitedChan is closed when container id is not running (now or later).
func (cs *Containers) exitedChan(id string) <-chan struct{} {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if lc := cs.live[id]; lc != nil {
		return lc.exited
	}
	ch := make(chan struct{})
	close(ch)
	return ch
}

// frameHeader is the 8-byte stdcopy header of a frame of n bytes on stream
// (1 stdout, 2 stderr).
func frameHeader(stream byte, n int) []byte {
	h := make([]byte, 8, 8+n)
	h[0] = stream
	binary.BigEndian.PutUint32(h[4:], uint32(n))
	return h
}
