package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/berth/berth/logs"
	"github.com/berth/berth/runtime/shim"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
)

// AttachOptions are the parameters of POST /containers/{id}/attach.
type AttachOptions struct {
	Stdin, Stdout, Stderr bool
	Logs                  bool // replay the log first
	Stream                bool // then stream live output
	DetachKeys            string
}

// Conn is the hijacked client connection of an attach or exec.
type Conn interface {
	io.ReadWriteCloser
	CloseWrite() error
}

// Hijack takes over the client connection once the request is known to be
// good; tty says which stream format the client will get.
type Hijack func(tty bool) (Conn, error)

// pendingAttach is an attach to a container that is not running yet: it is
// connected when the container starts (docker run attaches before start).
type pendingAttach struct {
	opts AttachOptions
	conn Conn
	keys []byte
	done chan struct{}
	// detached is set before done closes when the client used the detach keys.
	detached bool
}

// Attach connects the client to the container's stdio until the container
// exits, the client detaches (detach keys) or goes away.
func (cs *Containers) Attach(ctx context.Context, ref string, opts AttachOptions, hijack Hijack) error {
	c, err := cs.store.Get(ref)
	if err != nil {
		return err
	}
	keys, err := parseDetachKeys(opts.DetachKeys)
	if err != nil {
		return err
	}
	c.Lock()
	tty, paused, restarting := c.Config.Tty, c.State.Status == containertypes.StatePaused, c.State.IsRestarting()
	c.Unlock()
	if paused {
		return errdefs.ErrConflict.WithMessage("You cannot attach to a paused container, unpause it first")
	}
	if restarting {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is restarting, wait until the container is running", ref))
	}
	conn, err := hijack(tty)
	if err != nil {
		return err
	}
	defer conn.Close()
	cs.publish(c, eventtypes.ActionAttach, nil)
	if opts.Logs {
		c.Lock()
		path, local := cs.logFile(c)
		c.Unlock()
		if err := replayLog(ctx, path, local, tty, opts, conn); err != nil || !opts.Stream {
			return nil
		}
	}
	p := &pendingAttach{opts: opts, conn: conn, keys: keys, done: make(chan struct{})}
	cs.mu.Lock()
	lc := cs.live[c.ID]
	if lc == nil {
		cs.pending[c.ID] = append(cs.pending[c.ID], p)
	}
	cs.mu.Unlock()
	if lc != nil {
		cs.connect(p, lc.shim)
	}
	// The relay, not the request context, ends a hijacked stream: the
	// context may end when the client half-closes its side.
	<-p.done
	if p.detached {
		cs.publish(c, eventtypes.ActionDetach, nil)
	}
	return nil
}

// connectPendingAttaches hands the attaches waiting for id to its shim.
func (cs *Containers) connectPendingAttaches(id string, client *shim.Client) {
	cs.mu.Lock()
	pending := cs.pending[id]
	delete(cs.pending, id)
	cs.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range pending {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs.connect(p, client)
		}()
	}
	wg.Wait()
}

// dropPendingAttaches ends the attaches of a container that goes away.
func (cs *Containers) dropPendingAttaches(id string) {
	cs.mu.Lock()
	pending := cs.pending[id]
	delete(cs.pending, id)
	cs.mu.Unlock()
	for _, p := range pending {
		close(p.done)
	}
}

// connect opens the shim side of an attach and relays in the background;
// it returns once the shim accepted the attach (before start).
func (cs *Containers) connect(p *pendingAttach, client *shim.Client) {
	sc, err := client.Attach(context.Background(), p.opts.Stdin, p.opts.Stdout, p.opts.Stderr)
	if err != nil {
		cs.log.Warn("attaching to shim", "err", err)
		close(p.done)
		return
	}
	go func() {
		p.detached = relay(p.conn, sc, p.opts.Stdin, p.keys)
		close(p.done)
	}()
}

// relay copies the container's output to the client and, with stdin, the
// client's input to the container, until the output ends or the client
// detaches, which it reports. The client's EOF closes the container's
// stdin (the shim applies StdinOnce).
func relay(client Conn, sc net.Conn, stdin bool, keys []byte) (detached bool) {
	defer sc.Close()
	outDone := make(chan struct{})
	go func() {
		_, _ = io.Copy(client, sc)
		close(outDone)
	}()
	if !stdin {
		<-outDone
		return false
	}
	inDone := make(chan error, 1)
	go func() {
		err := copyUntilDetach(sc, client, keys)
		if err == nil {
			if cw, ok := sc.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
		}
		inDone <- err
	}()
	select {
	case <-outDone:
	case err := <-inDone:
		if errors.Is(err, errDetached) {
			return true
		}
		<-outDone
	}
	return false
}

var errDetached = errors.New("detached")

// copyUntilDetach copies src to dst and stops with errDetached when the
// detach key sequence arrives (the keys themselves are not forwarded).
func copyUntilDetach(dst io.Writer, src io.Reader, keys []byte) error {
	buf := make([]byte, 32<<10)
	matched := 0
	for {
		n, err := src.Read(buf)
		if n > 0 {
			out := make([]byte, 0, n+matched)
			for _, b := range buf[:n] {
				if len(keys) > 0 && b == keys[matched] {
					matched++
					if matched == len(keys) {
						_, _ = dst.Write(out)
						return errDetached
					}
					continue
				}
				if matched > 0 {
					out = append(out, keys[:matched]...)
					matched = 0
				}
				out = append(out, b)
			}
			if _, werr := dst.Write(out); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// parseDetachKeys reads Docker's detach key syntax: "ctrl-p,ctrl-q" (the
// default), letters, "ctrl-@" ... "ctrl-_".
func parseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		s = "ctrl-p,ctrl-q"
	}
	var keys []byte
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(strings.ToLower(k))
		switch {
		case len(k) == 1:
			keys = append(keys, k[0])
		case strings.HasPrefix(k, "ctrl-") && len(k) == 6:
			ch := k[5]
			switch {
			case ch >= 'a' && ch <= 'z':
				keys = append(keys, ch-'a'+1)
			case ch == '@':
				keys = append(keys, 0)
			case bytes.IndexByte([]byte("[\\]^_"), ch) >= 0:
				keys = append(keys, ch-'['+27)
			default:
				return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("Invalid detach keys (%s) provided", s))
			}
		default:
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("Invalid detach keys (%s) provided", s))
		}
	}
	return keys, nil
}

// Resize sets the container's terminal size.
func (cs *Containers) Resize(ctx context.Context, ref string, height, width uint) error {
	c, err := cs.store.Get(ref)
	if err != nil {
		return err
	}
	lc, err := cs.liveOf(c)
	if err != nil {
		return err
	}
	if err := lc.shim.Resize(ctx, height, width); err != nil {
		return err
	}
	cs.publish(c, eventtypes.ActionResize, map[string]string{"height": fmt.Sprint(height), "width": fmt.Sprint(width)})
	return nil
}

// replayLog writes what the container logged so far to w, in the attach
// stream's format.
func replayLog(ctx context.Context, path string, local, tty bool, opts AttachOptions, w io.Writer) error {
	if path == "" {
		return nil
	}
	for msg, err := range readLog(ctx, path, local, logs.ReadOptions{Stdout: opts.Stdout, Stderr: opts.Stderr, Tail: -1}) {
		if err != nil {
			return err
		}
		if err := writeMessage(w, msg, tty); err != nil {
			return err
		}
	}
	return nil
}
