package daemon

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/berth/berth/container"
	"github.com/berth/berth/runtime/shim"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
	"golang.org/x/sys/unix"
)

// Healthchecks as Docker runs them: the probe is an exec in the container
// (with exec_create, exec_start and exec_die events), CMD runs its
// arguments and CMD-SHELL the container's shell; a probe past its timeout
// is killed and fails. Defaults and limits are Docker's.
const (
	defaultProbeInterval = 30 * time.Second
	defaultProbeTimeout  = 30 * time.Second
	defaultStartInterval = 5 * time.Second
	defaultProbeRetries  = 3
	maxProbeOutput       = 4096 // bytes of output kept per probe
	maxHealthLog         = 5    // results kept in State.Health.Log
)

// healthMonitor is the probing of one running container.
type healthMonitor struct {
	stop chan struct{} // closed to end the monitor
}

// validateHealthcheck checks the healthcheck of a create request.
func validateHealthcheck(h *containertypes.HealthConfig) error {
	if h == nil {
		return nil
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"Interval", h.Interval}, {"Timeout", h.Timeout}, {"StartPeriod", h.StartPeriod}, {"StartInterval", h.StartInterval}} {
		if d.value != 0 && d.value < containertypes.MinimumDuration {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s in Healthcheck cannot be less than %s", d.name, containertypes.MinimumDuration))
		}
	}
	if h.Retries < 0 {
		return errdefs.ErrInvalidArgument.WithMessage("Retries in Healthcheck cannot be negative")
	}
	return nil
}

// probeCommand is what the healthcheck runs, or nil for none ("NONE", or
// a type Docker does not know).
func probeCommand(cfg *containertypes.Config) []string {
	h := cfg.Healthcheck
	if h == nil || len(h.Test) == 0 {
		return nil
	}
	switch h.Test[0] {
	case "CMD":
		return h.Test[1:]
	case "CMD-SHELL":
		shell := cfg.Shell
		if len(shell) == 0 {
			shell = []string{"/bin/sh", "-c"}
		}
		return append(append([]string{}, shell...), h.Test[1:]...)
	}
	return nil
}

// startHealthLocked begins probing c (locked, running) if it has a
// healthcheck. A new run (reset) starts over at "starting".
func (cs *Containers) startHealthLocked(c *container.Container, reset bool) {
	cmd := probeCommand(c.Config)
	if len(cmd) == 0 {
		return
	}
	if reset || c.State.Health == nil {
		if c.State.Health == nil {
			c.State.Health = &containertypes.Health{}
		}
		c.State.Health.Status, c.State.Health.FailingStreak = containertypes.Starting, 0
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.sup.health == nil {
		cs.sup.health = map[string]*healthMonitor{}
	}
	if cs.sup.health[c.ID] != nil {
		return
	}
	m := &healthMonitor{stop: make(chan struct{})}
	cs.sup.health[c.ID] = m
	go cs.monitorHealth(c, m, cmd, *c.Config.Healthcheck, c.State.StartedAt)
}

// stopHealthLocked ends the probing of c (locked). As Docker, a container
// whose monitor stopped (exit, pause) reports unhealthy.
func (cs *Containers) stopHealthLocked(c *container.Container) {
	cs.mu.Lock()
	m := cs.sup.health[c.ID]
	delete(cs.sup.health, c.ID)
	cs.mu.Unlock()
	if m == nil {
		return
	}
	close(m.stop)
	if c.State.Health != nil {
		c.State.Health.Status = containertypes.Unhealthy
	}
}

// monitorHealth runs the probe at its interval until stopped.
func (cs *Containers) monitorHealth(c *container.Container, m *healthMonitor, cmd []string, cfg containertypes.HealthConfig, started time.Time) {
	interval := orDefault(cfg.Interval, defaultProbeInterval)
	startInterval := orDefault(cfg.StartInterval, defaultStartInterval)
	nextInterval := func() time.Duration {
		if time.Since(started) >= cfg.StartPeriod {
			return interval
		}
		c.Lock()
		starting := c.State.Health != nil && c.State.Health.Status == containertypes.Starting
		c.Unlock()
		if starting {
			return startInterval
		}
		return interval
	}
	timer := time.NewTimer(nextInterval())
	defer timer.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-timer.C:
		}
		ctx, cancel := context.WithCancel(context.Background())
		results := make(chan *containertypes.HealthcheckResult, 1)
		go func() { results <- cs.probe(ctx, c, cmd, orDefault(cfg.Timeout, defaultProbeTimeout)) }()
		select {
		case <-m.stop:
			cancel() // kills the probe
			<-results
			return
		case r := <-results:
			cancel()
			cs.recordProbe(c, m, r, cfg)
		}
		timer.Reset(nextInterval())
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// recordProbe updates c's health with a probe's result, as Docker.
func (cs *Containers) recordProbe(c *container.Container, m *healthMonitor, r *containertypes.HealthcheckResult, cfg containertypes.HealthConfig) {
	c.Lock()
	defer c.Unlock()
	select {
	case <-m.stop: // the monitor stopped while this probe ran
		return
	default:
	}
	h := c.State.Health
	if h == nil {
		return
	}
	old := h.Status
	h.Log = append(h.Log, r)
	if len(h.Log) > maxHealthLog {
		h.Log = h.Log[len(h.Log)-maxHealthLog:]
	}
	retries := cfg.Retries
	if retries <= 0 {
		retries = defaultProbeRetries
	}
	switch {
	case r.ExitCode == 0:
		h.FailingStreak = 0
		h.Status = containertypes.Healthy
	case h.Status == containertypes.Starting && r.Start.Sub(c.State.StartedAt) < cfg.StartPeriod:
		// Failures in the start period do not count.
	default:
		h.FailingStreak++
		if h.FailingStreak >= retries {
			h.Status = containertypes.Unhealthy
		}
	}
	if h.Status != old {
		if err := cs.store.Save(c); err != nil {
			cs.log.Warn("saving container health", "container", c.ID, "err", err)
		}
		cs.publishLocked(c, eventtypes.Action(string(eventtypes.ActionHealthStatus)+": "+string(h.Status)), nil)
	}
}

// probe runs cmd once as an exec in c and returns its result; a probe
// past timeout, or still running when ctx ends, is killed.
func (cs *Containers) probe(ctx context.Context, c *container.Container, cmd []string, timeout time.Duration) *containertypes.HealthcheckResult {
	start := time.Now()
	code, out, err := cs.runProbe(ctx, c, cmd, timeout)
	r := &containertypes.HealthcheckResult{Start: start, End: time.Now(), ExitCode: code, Output: out}
	if err != nil {
		r.ExitCode, r.Output = -1, err.Error()
	}
	return r
}

func (cs *Containers) runProbe(ctx context.Context, c *container.Container, cmd []string, timeout time.Duration) (int, string, error) {
	id, err := cs.ExecCreate(ctx, c.ID, containertypes.ExecCreateRequest{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return 0, "", err
	}
	// Probes are not kept for exec inspect: one a second would pile up.
	defer func() {
		cs.execs.mu.Lock()
		delete(cs.execs.byID, id)
		cs.execs.mu.Unlock()
	}()
	ex, err := cs.execs.get(id)
	if err != nil {
		return 0, "", err
	}
	lc, err := cs.liveOf(c)
	if err != nil {
		return 0, "", err
	}
	ex.mu.Lock()
	ex.started, ex.running = true, true
	ex.mu.Unlock()
	cs.publish(c, execAction(eventtypes.ActionExecStart, cmd), map[string]string{"execID": id})
	sc, err := lc.shim.Exec(ctx, shim.ExecRequest{ID: id, Process: ex.process})
	if err != nil {
		code := exitCodeOf(err)
		ex.mu.Lock()
		ex.running, ex.exitCode = false, &code
		ex.mu.Unlock()
		return 0, "", err
	}
	out := &limitedBuffer{}
	drained := make(chan struct{})
	go func() {
		demux(out, sc)
		close(drained)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	timedOut := false
	select {
	case <-drained:
	case <-timer.C:
		timedOut = true
	case <-ctx.Done():
	}
	if !timedOut && ctx.Err() == nil {
		sc.Close()
		cs.finishExec(context.Background(), c, lc, ex)
		ex.mu.Lock()
		defer ex.mu.Unlock()
		return *ex.exitCode, out.String(), nil
	}
	killExec(lc.shim, id)
	select {
	case <-drained:
	case <-time.After(10 * time.Second): // something else holds the probe's output open
	}
	sc.Close()
	cs.finishExec(context.Background(), c, lc, ex)
	if ctx.Err() != nil {
		return 0, "", ctx.Err()
	}
	msg := fmt.Sprintf("Health check exceeded timeout (%v)", timeout)
	if o := out.String(); o != "" {
		msg += ": " + o
	}
	return -1, msg, nil
}

// killExec sends SIGKILL to a running exec. The pidfd is taken before the
// shim confirms the process still runs, so a reused pid is never hit.
func killExec(s *shim.Client, id string) {
	st, err := s.ExecState(context.Background(), id)
	if err != nil || !st.Running || st.Pid <= 0 {
		return
	}
	fd, err := unix.PidfdOpen(st.Pid, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if st, err := s.ExecState(context.Background(), id); err != nil || !st.Running {
		return
	}
	_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
}

// demux copies the payloads of a framed exec stream (stdout and stderr
// alike) to w until the stream ends.
func demux(w io.Writer, r net.Conn) {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		if _, err := io.CopyN(w, r, int64(binary.BigEndian.Uint32(hdr[4:]))); err != nil {
			return
		}
	}
}

// limitedBuffer keeps the first maxProbeOutput bytes written to it.
type limitedBuffer struct {
	mu        sync.Mutex
	buf       []byte
	truncated bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := min(maxProbeOutput-len(b.buf), len(p))
	b.buf = append(b.buf, p[:keep]...)
	if keep < len(p) {
		b.truncated = true
	}
	return len(p), nil
}

// String is the output, with "..." when some was cut, as Docker shows it.
func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.truncated {
		return string(b.buf) + "..."
	}
	return string(b.buf)
}
