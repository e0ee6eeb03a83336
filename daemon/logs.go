package daemon

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"strconv"
	"time"

	"github.com/berth/berth/container"
	"github.com/berth/berth/logs"
	"github.com/berth/berth/logs/logfile"
	"github.com/containerd/errdefs"
	"github.com/docker/go-units"
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
	tty, driver := c.Config.Tty, c.HostConfig.LogConfig.Type
	path, local := cs.logFile(c)
	c.Unlock()
	if path == "" {
		return errdefs.ErrNotImplemented.WithMessage(`configured logging driver does not support reading: "` + driver + `"`)
	}
	exited := cs.exitedChan(c.ID)
	w := bufio.NewWriterSize(out.Start(tty), 64<<10)
	read := readLog(ctx, path, local, logs.ReadOptions{
		Stdout: opts.Stdout, Stderr: opts.Stderr, Since: opts.Since, Until: opts.Until, Tail: opts.Tail,
		Timestamps: opts.Timestamps, Follow: opts.Follow, Done: exited,
	})
	for msg, err := range read {
		if err != nil {
			cs.log.Warn("reading container log", "container", c.ID, "err", err)
			break
		}
		if err := writeMessage(w, msg, tty); err != nil {
			return nil // the client went away
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

// writeMessage writes one log message in the stream format of logs and
// attach: as is for a TTY, else framed with its stream (1 stdout, 2 stderr).
func writeMessage(w io.Writer, msg *logs.Message, tty bool) error {
	if !tty {
		stream := byte(1)
		if msg.Stream == logs.Stderr {
			stream = 2
		}
		if _, err := w.Write(frameHeader(stream, len(msg.Line))); err != nil {
			return err
		}
	}
	_, err := w.Write(msg.Line)
	return err
}

// frameHeader is the 8-byte stdcopy header of a frame of n bytes on stream
// (1 stdout, 2 stderr).
func frameHeader(stream byte, n int) []byte {
	h := make([]byte, 8, 8+n)
	h[0] = stream
	binary.BigEndian.PutUint32(h[4:], uint32(n))
	return h
}

// logFile is where the container's log driver writes: the json-file log
// (also Inspect's LogPath), or the local driver's log under local-logs/ in
// the container's directory; "" for none. c is locked.
func (cs *Containers) logFile(c *container.Container) (path string, local bool) {
	switch c.HostConfig.LogConfig.Type {
	case "local":
		return filepath.Join(cs.store.Dir(c.ID), "local-logs", "container.log"), true
	case "json-file":
		return c.LogPath, false
	}
	return "", false
}

// readLog reads the container's log in its driver's format.
func readLog(ctx context.Context, path string, local bool, opts logs.ReadOptions) iter.Seq2[*logs.Message, error] {
	if local {
		return logs.ReadLocal(ctx, path, opts)
	}
	return logs.Read(ctx, path, opts)
}

// localLogOptions are the local driver's options.
type localLogOptions struct {
	maxSize  int64
	maxFiles int
	compress bool
}

// parseLocalLogOptions reads the local driver's --log-opt as Docker does
// (daemon/logger/local/config.go), with its defaults and words: max-size
// (decimal units, default 20 MiB), max-file (5), compress (true).
func parseLocalLogOptions(opts map[string]string) (localLogOptions, error) {
	o := localLogOptions{maxSize: logfile.DefaultMaxSize, maxFiles: logfile.DefaultMaxFiles, compress: true}
	invalid := func(format string, args ...any) (localLogOptions, error) {
		return o, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, args...))
	}
	for k, v := range opts {
		var err error
		switch k {
		case "max-size":
			if o.maxSize, err = units.FromHumanSize(v); err != nil {
				return invalid("invalid value for max-size: %s: %v", v, err)
			}
		case "max-file":
			if o.maxFiles, err = strconv.Atoi(v); err != nil {
				return invalid("invalid value for max-file: %s: %v", v, err)
			}
		case "compress":
			if o.compress, err = strconv.ParseBool(v); err != nil {
				return invalid("invalid boolean value for compress: %v", err)
			}
		case "labels", "labels-regex", "env", "env-regex", "tag":
			return o, errdefs.ErrNotImplemented.WithMessage("log opt '" + k + "' is not supported by Berth yet")
		default:
			return invalid("unknown log opt '%s' for log driver local", k)
		}
	}
	switch {
	case o.maxSize < 0:
		return invalid("max-size must not be negative")
	case o.maxFiles < 0:
		return invalid("max-file must not be negative")
	case o.compress && o.maxFiles <= 1:
		return invalid("compression cannot be enabled when max file count is 1")
	}
	return o, nil
}
