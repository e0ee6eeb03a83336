package daemon

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth/berth/container"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
	"golang.org/x/sys/unix"
)

// defaultStopTimeout is how long stop waits before SIGKILL (Docker's 10 s).
const defaultStopTimeout = 10

// ParseSignal reads a signal as Docker accepts it: "KILL", "SIGKILL", "9".
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, errdefs.ErrInvalidArgument.WithMessage("Invalid signal: " + s)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, errdefs.ErrInvalidArgument.WithMessage("Invalid signal: " + s)
}

// liveOf returns the running shim of c, or a conflict saying it is not running.
func (cs *Containers) liveOf(c *container.Container) (*liveContainer, error) {
	cs.mu.Lock()
	lc := cs.live[c.ID]
	cs.mu.Unlock()
	if lc == nil {
		return nil, errdefs.ErrConflict.WithMessage(fmt.Sprintf("Container %s is not running", c.ID))
	}
	return lc, nil
}

// Kill sends a signal, as POST /containers/{id}/kill.
func (cs *Containers) Kill(ctx context.Context, ref, signal string) error {
	c, err := cs.store.Get(ref)
	if err != nil {
		return err
	}
	sig := syscall.SIGKILL
	if signal != "" {
		if sig, err = ParseSignal(signal); err != nil {
			return err
		}
	}
	c.Lock()
	restarting, running := c.State.IsRestarting(), c.State.IsRunning()
	c.Unlock()
	if !running && !restarting {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("Container %s is not running", c.ID))
	}
	ends := cs.noteStop(c, sig)
	if restarting && ends {
		// Between runs there is no process to signal: ending the restart
		// policy is the kill (Docker sends nothing either).
		cs.awaitRestart(c.ID)
	}
	cs.mu.Lock()
	lc := cs.live[c.ID]
	cs.mu.Unlock()
	if lc == nil && restarting {
		return nil
	}
	if lc == nil {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("Container %s is not running", c.ID))
	}
	if err := lc.shim.Kill(ctx, sig, false); err != nil {
		if ends && cs.awaitRestart(c.ID) {
			return nil // it had just exited: its restart is dropped
		}
		return err
	}
	cs.publish(c, eventtypes.ActionKill, map[string]string{"signal": strconv.Itoa(int(sig))})
	if sig == syscall.SIGKILL {
		// As Docker, a SIGKILL returns once the container is down.
		select {
		case <-lc.exited:
		case <-time.After(killWait):
		case <-ctx.Done():
		}
	}
	return nil
}

// killWait bounds how long kill with SIGKILL waits for the exit.
const killWait = 10 * time.Second

// Stop sends the stop signal, waits timeout seconds (nil: the container's
// StopTimeout or 10; -1: forever), then kills, as POST /containers/{id}/stop.
// A container that is not running is not modified (304).
func (cs *Containers) Stop(ctx context.Context, ref string, timeout *int, signal string) error {
	c, err := cs.store.Get(ref)
	if err != nil {
		return err
	}
	restarting := cs.endRestarting(c)
	cs.mu.Lock()
	lc := cs.live[c.ID]
	cs.mu.Unlock()
	if lc == nil {
		if restarting {
			cs.publish(c, eventtypes.ActionStop, nil)
			return nil
		}
		return errdefs.ErrNotModified
	}
	if err := cs.stop(ctx, c, lc, timeout, signal); err != nil {
		return err
	}
	cs.awaitRestart(c.ID) // an exit just before the signal planned one; it is dropped
	cs.publish(c, eventtypes.ActionStop, nil)
	return nil
}

// endRestarting drops the pending restart of a restarting container, as
// a stop does, and waits the attempt out (it may have started the
// container meanwhile). It reports whether c was restarting.
func (cs *Containers) endRestarting(c *container.Container) bool {
	c.Lock()
	restarting := c.State.IsRestarting()
	c.Unlock()
	if restarting {
		cs.noteStop(c, syscall.SIGKILL)
		cs.awaitRestart(c.ID)
	}
	return restarting
}

func (cs *Containers) stop(ctx context.Context, c *container.Container, lc *liveContainer, timeout *int, signal string) error {
	c.Lock()
	if signal == "" {
		signal = c.Config.StopSignal
	}
	wait := defaultStopTimeout
	if c.Config.StopTimeout != nil {
		wait = *c.Config.StopTimeout
	}
	paused := c.State.Status == containertypes.StatePaused
	c.Unlock()
	if timeout != nil {
		wait = *timeout
	}
	sig := syscall.SIGTERM
	if signal != "" {
		var err error
		if sig, err = ParseSignal(signal); err != nil {
			return err
		}
	}
	if paused {
		// A frozen process cannot handle its signal: thaw it first, as Docker does.
		_ = lc.shim.Resume(ctx)
	}
	cs.noteStop(c, sig)
	if err := lc.shim.Kill(ctx, sig, false); err == nil {
		cs.publish(c, eventtypes.ActionKill, map[string]string{"signal": strconv.Itoa(int(sig))})
		var deadline <-chan time.Time
		if wait >= 0 {
			timer := time.NewTimer(time.Duration(wait) * time.Second)
			defer timer.Stop()
			deadline = timer.C
		}
		select {
		case <-lc.exited:
			return nil
		case <-deadline:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	cs.noteStop(c, syscall.SIGKILL)
	if err := lc.shim.Kill(ctx, syscall.SIGKILL, true); err != nil {
		select {
		case <-lc.exited:
			return nil
		default:
			return err
		}
	}
	cs.publish(c, eventtypes.ActionKill, map[string]string{"signal": "9"})
	select {
	case <-lc.exited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Restart stops (if running) and starts the container.
func (cs *Containers) Restart(ctx context.Context, ref string, timeout *int, signal string) error {
	c, err := cs.store.Get(ref)
	if err != nil {
		return err
	}
	c.Lock()
	c.HasBeenManuallyRestarted = true // the exit of the stop must not auto-remove it
	c.Unlock()
	cs.endRestarting(c)
	cs.mu.Lock()
	lc := cs.live[c.ID]
	cs.mu.Unlock()
	if lc != nil {
		if err := cs.stop(ctx, c, lc, timeout, signal); err != nil {
			return err
		}
		cs.awaitRestart(c.ID)
		cs.publish(c, eventtypes.ActionStop, nil) // Docker's restart is a stop, then a start
	}
	if err := cs.Start(ctx, c.ID); err != nil && !errdefs.IsNotModified(err) {
		return err
	}
	cs.publish(c, eventtypes.ActionRestart, nil)
	return nil
}

// Pause freezes the container's processes.
func (cs *Containers) Pause(ctx context.Context, ref string) error {
	return cs.setPaused(ctx, ref, true)
}

// Unpause thaws them.
func (cs *Containers) Unpause(ctx context.Context, ref string) error {
	return cs.setPaused(ctx, ref, false)
}

func (cs *Containers) setPaused(ctx context.Context, ref string, pause bool) error {
	c, err := cs.store.Get(ref)
	if err != nil {
		return err
	}
	lc, err := cs.liveOf(c)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	paused := c.State.Status == containertypes.StatePaused
	switch {
	case pause && paused:
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("Container %s is already paused", c.ID))
	case !pause && !paused:
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("Container %s is not paused", c.ID))
	}
	action, status := eventtypes.ActionPause, containertypes.StatePaused
	if pause {
		err = lc.shim.Pause(ctx)
	} else {
		err = lc.shim.Resume(ctx)
		action, status = eventtypes.ActionUnPause, containertypes.StateRunning
	}
	if err != nil {
		return err
	}
	c.State.Status = status
	// A paused container is not probed; Docker then reports it unhealthy.
	if pause {
		cs.stopHealthLocked(c)
	} else {
		cs.startHealthLocked(c, false)
	}
	if err := cs.store.Save(c); err != nil {
		return err
	}
	cs.publishLocked(c, action, nil)
	return nil
}
