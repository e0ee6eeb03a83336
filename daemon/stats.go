package daemon

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"time"

	"github.com/berth/berth/cgroups"
	"github.com/berth/berth/container"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
)

// StatsOptions are the query of GET /containers/{id}/stats.
type StatsOptions struct {
	Stream  bool // a sample every second until the client goes
	OneShot bool // one sample at once, without the previous one
}

// statsInterval is Docker's: one sample a second.
const statsInterval = time.Second

// machineMemory is the limit reported for containers without one.
var machineMemory = sync.OnceValues(cgroups.MachineMemory)

// Stats sends samples of a container's resource usage to emit, as
// GET /containers/{id}/stats. Without stream or one-shot the one sample
// sent carries the previous one (a second earlier) in preread and
// precpu_stats, so that a CPU percentage can be worked out; a stream's
// samples carry their predecessor. A container that does not run gives
// zeros, at once when not streaming; a stream ends when the container is
// removed.
func (cs *Containers) Stats(ctx context.Context, ref string, opts StatsOptions, emit func(*containertypes.StatsResponse) error) error {
	c, err := cs.store.Get(ref)
	if err != nil {
		return err
	}
	if opts.Stream && opts.OneShot {
		return errdefs.ErrInvalidArgument.WithMessage("cannot have stream=true and one-shot=true")
	}
	var r statsReader
	var prev *containertypes.StatsResponse
	tick := time.NewTicker(statsInterval)
	defer tick.Stop()
	for {
		s, running, err := r.sample(c)
		if err != nil {
			return err
		}
		if prev != nil {
			s.PreRead, s.PreCPUStats = prev.Read, prev.CPUStats
		}
		wantPrev := !opts.Stream && !opts.OneShot && running && prev == nil
		if !wantPrev {
			if err := emit(s); err != nil || !opts.Stream {
				return err
			}
		}
		prev = s
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if _, err := cs.store.Get(c.ID); err != nil {
			return nil // removed: the stream ends, as Docker's
		}
	}
}

// statsReader samples one container, keeping its cgroup between samples.
type statsReader struct {
	pid int
	cg  *cgroups.Cgroup
}

// sample reads the container's figures now; a stopped container's are
// zero but for its name and ID.
func (r *statsReader) sample(c *container.Container) (*containertypes.StatsResponse, bool, error) {
	c.Lock()
	s := &containertypes.StatsResponse{Name: c.Name, ID: c.ID}
	pid, running := c.State.Pid, c.State.IsRunning()
	hostNet := c.HostConfig.NetworkMode.IsHost()
	c.Unlock()
	if !running || pid <= 0 {
		return s, false, nil
	}
	err := r.read(s, pid, hostNet)
	if err == nil {
		return s, true, nil
	}
	c.Lock()
	gone := c.State.Pid != pid || !c.State.IsRunning()
	c.Unlock()
	if gone || errors.Is(err, fs.ErrNotExist) { // it exited while being read
		return &containertypes.StatsResponse{Name: s.Name, ID: s.ID}, false, nil
	}
	return nil, false, err
}

func (r *statsReader) read(s *containertypes.StatsResponse, pid int, hostNet bool) error {
	if r.cg == nil || r.pid != pid {
		cg, err := cgroups.ForPid(pid)
		if err != nil {
			return err
		}
		r.cg, r.pid = cg, pid
	}
	s.Read = time.Now().UTC()
	if err := r.cg.Stats(s); err != nil {
		return err
	}
	var err error
	if s.CPUStats.SystemUsage, s.CPUStats.OnlineCPUs, err = cgroups.SystemCPU(); err != nil {
		return err
	}
	if mem, err := machineMemory(); err == nil && (s.MemoryStats.Limit > mem || s.MemoryStats.Limit == 0) {
		s.MemoryStats.Limit = mem
	}
	if !hostNet { // Docker reports no interfaces for the host's network
		s.Networks, err = netDevStats(pid)
	}
	return err
}
