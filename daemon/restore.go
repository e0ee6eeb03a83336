package daemon

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/berth/berth/cgroups"
	"github.com/berth/berth/container"
	"github.com/berth/berth/runtime/shim"
	containertypes "github.com/moby/moby/api/types/container"
)

// restore reconnects to the shims of containers that were running when the
// daemon stopped. A container whose shim is gone ended while the daemon was
// down: its exit file has the code and time; without one (the exec root did
// not survive a reboot, or the shim was killed) it exited with 255.
func (cs *Containers) restore() {
	cs.refVolumes()
	for _, c := range cs.store.List() {
		c.Lock()
		running := c.State.IsRunning()
		c.Unlock()
		if running {
			cs.restoreRunning(c)
			continue
		}
		c.Lock()
		if c.State.RemovalInProgress {
			c.Unlock()
			_ = cs.remove(c, true, false)
			continue
		}
		c.Unlock()
	}
	defer cs.restartOnBoot() // once networks are reconciled
	if cs.net == nil {
		return
	}
	var running []string
	for _, c := range cs.store.List() {
		c.Lock()
		if c.State.IsRunning() {
			running = append(running, c.ID)
		}
		c.Unlock()
	}
	if err := cs.net.Reconcile(running); err != nil {
		cs.log.Warn("reconciling networks", "err", err)
	}
	cs.reconcilePorts(running)
}

func (cs *Containers) restoreRunning(c *container.Container) {
	dir := cs.stateDir(c.ID)
	if client, err := shim.Connect(dir); err == nil {
		if st, err := client.State(context.Background()); err == nil && st.Status != "stopped" {
			lc := &liveContainer{shim: client, exited: make(chan struct{})}
			cs.mu.Lock()
			cs.live[c.ID] = lc
			cs.mu.Unlock()
			c.Lock()
			c.State.Pid = st.Pid
			if st.Status == "paused" {
				c.State.Status = containertypes.StatePaused
			}
			_ = cs.store.Save(c)
			if st.Status != "paused" {
				cs.startHealthLocked(c, true)
			}
			cs.restoreVolumeMountsLocked(c)
			c.Unlock()
			cs.log.Info("reconnected to running container", "container", c.ID, "pid", st.Pid)
			go cs.monitor(c, lc)
			return
		}
	}
	exit, ok, _ := shim.ReadExit(filepath.Join(dir, "exit.json"))
	if !ok {
		// The shim died without recording an exit: its container may still
		// run, orphaned. Kill and delete it through the runtime.
		oomKilled := cgroups.OOMKilled(containerCgroupPath(c)) // before the runtime removes the cgroup
		cs.deleteOrphan(c)
		exit = shim.Exit{ExitCode: 255, ExitedAt: time.Now().UTC(), OOMKilled: oomKilled}
	}
	cs.log.Info("container exited while the daemon was down", "container", c.ID, "exitCode", exit.ExitCode)
	cs.recordExit(c, exit, false) // the boot pass applies the restart policy
}

// deleteOrphan force-deletes the runtime's container of c (no-op when the
// runtime has no state for it, as after a reboot).
func (cs *Containers) deleteOrphan(c *container.Container) {
	c.Lock()
	name, id := c.Runtime, c.ID
	c.Unlock()
	rt, ok := cs.cfg.Runtimes[name]
	if !ok {
		return
	}
	root := cs.runtimeRoot(name)
	if _, err := os.Stat(filepath.Join(root, id)); err != nil {
		return
	}
	args := append(append([]string{}, rt.Args...), "--root", root, "delete", "--force", id)
	if out, err := exec.Command(rt.Path, args...).CombinedOutput(); err != nil {
		cs.log.Warn("deleting orphaned container", "container", id, "err", err, "output", string(out))
	}
}

// refVolumes takes the references every container holds on its volumes;
// the volume store keeps them in memory only.
func (cs *Containers) refVolumes() {
	if cs.vols == nil {
		return
	}
	for _, c := range cs.store.List() {
		c.Lock()
		for _, m := range c.Mounts {
			if m.Type == "volume" && m.Name != "" {
				if err := cs.vols.Ref(m.Name, c.ID); err != nil {
					cs.log.Warn("volume of a container is missing", "container", c.ID, "volume", m.Name, "err", err)
				}
			}
		}
		c.Unlock()
	}
}

// restartOnBoot starts, as Docker does at boot, the containers whose
// restart policy wants them running: always, unless-stopped unless stopped
// by hand, on-failure after a failure with retries left. That includes
// ones that ended while the daemon was down and ones it left waiting for
// a restart. Each start is a fresh one (RestartCount 0).
func (cs *Containers) restartOnBoot() {
	var wg sync.WaitGroup
	for _, c := range cs.store.List() {
		c.Lock()
		if c.State.IsRestarting() {
			c.State.Status = containertypes.StateExited
			_ = cs.store.Save(c)
		}
		want := !c.State.IsRunning() && !c.State.StartedAt.IsZero() && !c.State.RemovalInProgress &&
			policyWantsRestart(c.HostConfig.RestartPolicy, c.State.ExitCode, c.RestartCount, c.HasBeenManuallyStopped)
		c.Unlock()
		if !want {
			continue
		}
		wg.Go(func() {
			if err := cs.Start(context.Background(), c.ID); err != nil {
				cs.log.Warn("starting container by its restart policy", "container", c.ID, "err", err)
			}
		})
	}
	wg.Wait()
}
