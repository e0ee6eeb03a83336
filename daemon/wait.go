package daemon

import (
	"context"

	"github.com/containerd/errdefs"
)

type waitCondition int

const (
	waitNotRunning waitCondition = iota
	waitNextExit
	waitRemoved
)

// waiter is one blocked wait request.
type waiter struct {
	cond waitCondition
	ch   chan int // receives the exit code
}

// Wait returns a channel that receives the exit code when the condition
// ("not-running" (default), "next-exit", "removed") is met. Errors (unknown
// container, bad condition) come back at once, before any response.
func (cs *Containers) Wait(ctx context.Context, ref, condition string) (<-chan int, error) {
	var cond waitCondition
	switch condition {
	case "", "not-running":
		cond = waitNotRunning
	case "next-exit":
		cond = waitNextExit
	case "removed":
		cond = waitRemoved
	default:
		return nil, errdefs.ErrInvalidArgument.WithMessage("invalid condition: \"" + condition + "\"")
	}
	c, err := cs.store.Get(ref)
	if err != nil {
		return nil, err
	}
	ch := make(chan int, 1)
	c.Lock()
	// A container waiting for a restart counts as running (Docker's rule):
	// not-running waits for the exit after it.
	running, code := c.State.IsRunning() || c.State.IsRestarting(), c.State.ExitCode
	// Register under c's lock: an exit recorded after this sees the waiter.
	if cond == waitNotRunning && !running {
		ch <- code
	} else {
		cs.mu.Lock()
		cs.waiters[c.ID] = append(cs.waiters[c.ID], waiter{cond: cond, ch: ch})
		cs.mu.Unlock()
	}
	c.Unlock()
	return ch, nil
}

// notify wakes the waiters an event satisfies: an exit satisfies
// not-running and next-exit waiters; a removal satisfies all.
func (cs *Containers) notify(id string, event waitCondition, code int) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var keep []waiter
	for _, w := range cs.waiters[id] {
		if event == waitRemoved || w.cond != waitRemoved {
			w.ch <- code
			continue
		}
		keep = append(keep, w)
	}
	if len(keep) == 0 {
		delete(cs.waiters, id)
	} else {
		cs.waiters[id] = keep
	}
}
