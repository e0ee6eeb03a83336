package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/moby/moby/client"
	"golang.org/x/sys/unix"
)

// proxySignals forwards the signals berth receives to the container with
// ContainerKill, as "docker run --sig-proxy" does, until the returned
// function is called. SIGCHLD, SIGPIPE, SIGURG (the Go runtime's) and
// SIGWINCH (a resize, handled by monitorTTYSize) stay local.
func proxySignals(ctx context.Context, api client.APIClient, id string) (stop func()) {
	sigc := make(chan os.Signal, 128)
	signal.Notify(sigc)
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-sigc:
				name := forwardedSignal(s)
				if name == "" {
					continue
				}
				_, _ = api.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: name})
			}
		}
	}()
	return func() {
		signal.Stop(sigc)
		cancel()
	}
}

// forwardedSignal is the name ("INT") under which s is sent to the
// container, or "" when it is not forwarded.
func forwardedSignal(s os.Signal) string {
	sig, ok := s.(syscall.Signal)
	if !ok {
		return ""
	}
	switch sig {
	case unix.SIGCHLD, unix.SIGPIPE, unix.SIGURG, unix.SIGWINCH:
		return ""
	}
	return strings.TrimPrefix(unix.SignalName(sig), "SIG")
}

// resizeFunc resizes the tty of a container or an exec.
type resizeFunc func(ctx context.Context, height, width uint) error

func containerResizer(api client.APIClient, id string) resizeFunc {
	return func(ctx context.Context, h, w uint) error {
		_, err := api.ContainerResize(ctx, id, client.ContainerResizeOptions{Height: h, Width: w})
		return err
	}
}

func execResizer(api client.APIClient, id string) resizeFunc {
	return func(ctx context.Context, h, w uint) error {
		_, err := api.ExecResize(ctx, id, client.ExecResizeOptions{Height: h, Width: w})
		return err
	}
}

// monitorTTYSize sets the remote tty to the size of the local terminal,
// retrying briefly while the process starts, and again on every SIGWINCH
// until ctx ends.
func (c *CLI) monitorTTYSize(ctx context.Context, resize resizeFunc) {
	var err error
	for retry := range 10 {
		h, w := c.ttySize()
		if h == 0 && w == 0 {
			return
		}
		if err = resize(ctx, h, w); err == nil {
			break
		}
		time.Sleep(time.Duration(retry+1) * 10 * time.Millisecond)
	}
	if err != nil {
		_, _ = fmt.Fprintln(c.errOut, "failed to resize tty, using default size")
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	go func() {
		defer signal.Stop(winch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-winch:
				if h, w := c.ttySize(); h != 0 || w != 0 {
					_ = resize(ctx, h, w)
				}
			}
		}
	}()
}
