package daemon

import (
	"context"
	"sync"
	"syscall"
	"time"

	"github.com/berth/berth/container"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
)

// Restart policies follow Docker's restart manager: after an exit the
// policy decides; a restart waits a delay that starts at 100 ms and doubles
// up to a minute, and starts over once a run lasted 10 s. A stop or kill
// ends the policy until the next manual start, which also resets
// RestartCount. Restarts at daemon boot are in restore.go.
const (
	firstRestartDelay = 100 * time.Millisecond
	maxRestartDelay   = time.Minute
	backoffResetAfter = 10 * time.Second
)

// supervision is what Containers keeps to restart and probe containers;
// cs.mu guards it.
type supervision struct {
	restarts     map[string]*restartManager
	health       map[string]*healthMonitor
	shuttingDown bool // stops now do not count as manual
}

// restartManager is one container's restart state between manual starts.
type restartManager struct {
	delay    time.Duration // the last backoff; 0 before the first restart
	canceled bool          // a stop or kill came: the next exit is final
	pending  *pendingRestart
}

// pendingRestart is a restart waiting for its delay.
type pendingRestart struct {
	abandon  chan struct{} // closed (under cs.mu) to drop the restart
	once     sync.Once
	finished chan struct{} // closed once the attempt is over: dropped, failed or started
}

func (p *pendingRestart) drop() { p.once.Do(func() { close(p.abandon) }) }

// restartManagerLocked returns id's restart manager; the caller holds cs.mu.
func (cs *Containers) restartManagerLocked(id string) *restartManager {
	if cs.sup.restarts == nil {
		cs.sup.restarts = map[string]*restartManager{}
	}
	rm := cs.sup.restarts[id]
	if rm == nil {
		rm = &restartManager{}
		cs.sup.restarts[id] = rm
	}
	return rm
}

// validateRestartPolicy checks the policy as Docker does at create.
func validateRestartPolicy(hc *containertypes.HostConfig) error {
	if hc.AutoRemove && !hc.RestartPolicy.IsNone() {
		return errdefs.ErrInvalidArgument.WithMessage("can't create 'AutoRemove' container with restart policy")
	}
	if err := containertypes.ValidateRestartPolicy(hc.RestartPolicy); err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	return nil
}

// policyWantsRestart is the policy's verdict on an exit.
func policyWantsRestart(p containertypes.RestartPolicy, exitCode, restartCount int, manuallyStopped bool) bool {
	switch {
	case p.IsAlways():
		return true
	case p.IsUnlessStopped():
		return !manuallyStopped
	case p.IsOnFailure():
		return exitCode != 0 && (p.MaximumRetryCount == 0 || restartCount < p.MaximumRetryCount)
	}
	return false
}

// planRestart decides at an exit of c (locked) after a run of ran whether
// its policy restarts it, and if so registers the pending restart and
// returns it with its delay.
func (cs *Containers) planRestart(c *container.Container, exitCode int, ran time.Duration) (*pendingRestart, time.Duration) {
	policy := c.HostConfig.RestartPolicy
	if policy.IsNone() || c.State.RemovalInProgress {
		return nil, 0
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	rm := cs.restartManagerLocked(c.ID)
	if rm.canceled || cs.sup.shuttingDown || !policyWantsRestart(policy, exitCode, c.RestartCount, c.HasBeenManuallyStopped) {
		return nil, 0
	}
	if ran >= backoffResetAfter {
		rm.delay = 0
	}
	rm.delay = min(max(2*rm.delay, firstRestartDelay), maxRestartDelay)
	rm.pending = &pendingRestart{abandon: make(chan struct{}), finished: make(chan struct{})}
	return rm.pending, rm.delay
}

// restartAfter starts c again once the delay has passed, unless the
// restart was dropped meanwhile; then the container is simply exited.
func (cs *Containers) restartAfter(c *container.Container, p *pendingRestart, delay time.Duration) {
	defer func() {
		cs.mu.Lock()
		if rm := cs.sup.restarts[c.ID]; rm != nil && rm.pending == p {
			rm.pending = nil
		}
		cs.mu.Unlock()
		close(p.finished)
	}()
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-p.abandon:
	}
	c.Lock()
	dropped := false
	select {
	case <-p.abandon:
		dropped = true
	default:
	}
	if dropped || !c.State.IsRestarting() || c.State.RemovalInProgress {
		cs.endRestartLocked(c, nil)
		return
	}
	// Starting keeps other starts and removals out, as in Start.
	c.State.Starting = true
	c.Unlock()
	err := cs.start(context.Background(), c)
	if err == nil {
		return
	}
	cs.log.Warn("restarting container", "container", c.ID, "err", err)
	c.Lock()
	c.State.Starting = false
	cs.dropPendingAttaches(c.ID)
	cs.endRestartLocked(c, err)
}

// endRestartLocked leaves the restarting state for exited (keeping the
// last exit's code, as Docker) and wakes waiters; it unlocks c.
func (cs *Containers) endRestartLocked(c *container.Container, startErr error) {
	if !c.State.IsRestarting() {
		c.Unlock()
		return
	}
	c.State.Status = containertypes.StateExited
	if startErr != nil {
		c.State.Error = startErr.Error()
	}
	if err := cs.store.Save(c); err != nil {
		cs.log.Error("saving container state", "container", c.ID, "err", err)
	}
	code := c.State.ExitCode
	c.Unlock()
	cs.notify(c.ID, waitNextExit, code)
}

// noteStop records a stop or kill with sig before it is sent, as Docker
// does: the container counts as manually stopped (unless the daemon is
// shutting down), and SIGKILL or its stop signal ends its restart policy
// until the next start, dropping a restart that waits for its delay. It
// reports whether the policy ended.
func (cs *Containers) noteStop(c *container.Container, sig syscall.Signal) bool {
	c.Lock()
	defer c.Unlock()
	ends := true
	if s := c.Config.StopSignal; s != "" && sig != syscall.SIGKILL {
		stopSig, err := ParseSignal(s)
		ends = err == nil && stopSig == sig
	}
	cs.mu.Lock()
	if ends {
		rm := cs.restartManagerLocked(c.ID)
		rm.canceled = true
		if rm.pending != nil {
			rm.pending.drop()
		}
	}
	manual := !cs.sup.shuttingDown
	cs.mu.Unlock()
	if manual && !c.HasBeenManuallyStopped {
		c.HasBeenManuallyStopped = true
		if err := cs.store.Save(c); err != nil {
			cs.log.Error("saving container state", "container", c.ID, "err", err)
		}
	}
	return ends
}

// awaitRestart waits until a pending restart of id is over and reports
// whether there was one. Call it only once the restart was dropped.
func (cs *Containers) awaitRestart(id string) bool {
	cs.mu.Lock()
	var p *pendingRestart
	if rm := cs.sup.restarts[id]; rm != nil {
		p = rm.pending
	}
	cs.mu.Unlock()
	if p == nil {
		return false
	}
	<-p.finished
	return true
}

// resetRestartLocked is what a manual start does to c (locked): a fresh
// restart manager, RestartCount 0, no longer manually stopped.
func (cs *Containers) resetRestartLocked(c *container.Container) {
	cs.mu.Lock()
	delete(cs.sup.restarts, c.ID)
	cs.mu.Unlock()
	c.RestartCount = 0
	c.HasBeenManuallyStopped = false
}

// forgetSupervision drops what is kept for a removed container.
func (cs *Containers) forgetSupervision(id string) {
	cs.mu.Lock()
	delete(cs.sup.restarts, id)
	cs.mu.Unlock()
}
