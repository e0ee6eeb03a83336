package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth/berth/atomicfile"
	"github.com/berth/berth/container"
	"github.com/berth/berth/runtime/shim"
	"github.com/berth/berth/runtime/spec"
	"github.com/berth/berth/volume"
	"github.com/containerd/errdefs"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/docker/go-units"
	eventtypes "github.com/moby/moby/api/types/events"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// liveContainer is what the daemon holds for a container whose shim runs.
type liveContainer struct {
	shim   *shim.Client
	exited chan struct{} // closed once the exit is recorded
}

// runtimeRoot is the OCI runtime's state directory (runc --root).
func (cs *Containers) runtimeRoot(runtime string) string {
	return filepath.Join(cs.cfg.ExecRoot, "runtime", runtime)
}

// stateDir is where a running container's bundle, shim socket and exit
// file live (under the exec root: gone after a reboot).
func (cs *Containers) stateDir(id string) string {
	return filepath.Join(cs.cfg.ExecRoot, "c", id) // short: the shim socket path must fit in 107 bytes
}

// Start runs a created or exited container, as POST /containers/{id}/start.
func (cs *Containers) Start(ctx context.Context, ref string) error {
	c, err := cs.store.Get(ref)
	if err != nil {
		return err
	}
	c.Lock()
	if err := c.State.CanStart(); err != nil {
		c.Unlock()
		return err
	}
	// The slow part (runc create) runs without c's lock, so that ps and
	// inspect do not wait for it; Starting keeps other starts and removals out.
	c.State.Starting = true
	cs.resetRestartLocked(c) // a manual start: the restart policy starts over
	c.Unlock()
	if err = cs.start(ctx, c); err == nil {
		return nil
	}
	// As Docker: the failed start counts as an exit for waiters (docker run
	// waits with next-exit), attached clients are released, and an
	// auto-remove container goes.
	code := exitCodeOf(err)
	c.Lock()
	c.State.Starting = false
	c.State.SetStartFailed(err, code)
	_ = cs.store.Save(c)
	autoRemove := c.HostConfig.AutoRemove
	c.Unlock()
	cs.dropPendingAttaches(c.ID)
	cs.notify(c.ID, waitNextExit, code)
	if autoRemove {
		_ = cs.remove(c, true, true) // --rm also removes anonymous volumes
	}
	return err
}

// start mounts the rootfs, writes the bundle, launches the shim and starts
// the process. On failure it undoes what it did. The caller set Starting,
// which keeps the fields start reads from changing.
func (cs *Containers) start(ctx context.Context, c *container.Container) (err error) {
	var undo cleanups
	defer func() {
		if err != nil {
			undo.run()
		} else {
			cs.refreshLinkers(c.ID) // after c's lock is released below
		}
	}()
	t0 := time.Now()
	ep, err := cs.attachNetwork(ctx, c, &undo)
	if err != nil {
		return err
	}
	if err := cs.publishPorts(c, ep, &undo); err != nil {
		return err
	}
	t1 := time.Now()
	dir, err := cs.prepareBundle(c, ep, &undo)
	if err != nil {
		return err
	}
	t2 := time.Now()
	lc, err := cs.launchShim(ctx, c, dir, &undo)
	if err != nil {
		return err
	}
	t3 := time.Now()
	cs.connectPendingAttaches(c.ID, lc.shim)
	if err := lc.shim.Start(ctx); err != nil {
		return runtimeError(err)
	}
	cs.log.Debug("started", "container", c.ID[:12], "network", t1.Sub(t0), "bundle", t2.Sub(t1), "shim", t3.Sub(t2), "start", time.Since(t3))
	st, err := lc.shim.State(ctx)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	c.Endpoint = ep
	c.State.SetRunning(st.Pid, time.Now().UTC())
	c.HasBeenManuallyRestarted = false
	if err := cs.store.Save(c); err != nil {
		return err
	}
	c.State.Starting = false
	go cs.monitor(c, lc)
	cs.publishLocked(c, eventtypes.ActionStart, nil)
	cs.startHealthLocked(c, true)
	return nil
}

// prepareBundle mounts the container's rootfs and writes its OCI bundle
// into its state directory, which it returns.
func (cs *Containers) prepareBundle(c *container.Container, ep *container.Endpoint, undo *cleanups) (string, error) {
	rootfs, err := cs.layers.MountRW(c.ID)
	if err != nil {
		return "", err
	}
	undo.add(func() { _ = cs.layers.UnmountRW(c.ID) })
	if wd := c.Config.WorkingDir; wd != "" {
		// Docker creates a missing working directory; resolve it inside the
		// rootfs so a symlink in the image cannot point it elsewhere.
		if err := pathrs.MkdirAll(rootfs, wd, 0o755); err != nil {
			return "", fmt.Errorf("creating working directory %s: %w", wd, err)
		}
	}
	links, err := cs.startLinks(c)
	if err != nil {
		return "", err
	}
	etc, err := cs.writeEtcFiles(c, ep, links)
	if err != nil {
		return "", err
	}
	dir := cs.stateDir(c.ID)
	if len(dir)+len("/shim.sock") > 107 {
		return "", fmt.Errorf("exec root %s is too long: the shim socket path must fit in 107 bytes", cs.cfg.ExecRoot)
	}
	_ = os.RemoveAll(dir) // leftovers of an earlier run
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	undo.add(func() { _ = os.RemoveAll(dir) })
	// A runtime that failed half-way may leave its state and the container's
	// cgroups behind: delete both (best effort, after the shim is gone).
	undo.add(func() {
		cs.deleteOrphan(c)
		removeCgroup(containerCgroupPath(c))
	})
	nsPath, err := cs.netNSPath(c, ep)
	if err != nil {
		return "", err
	}
	shared, err := cs.shareNamespaces(c, undo)
	if err != nil {
		return "", err
	}
	s, err := spec.Generate(spec.Options{
		ID: c.ID, Rootfs: rootfs, Config: c.Config, HostConfig: c.HostConfig, Hostname: c.Config.Hostname,
		EtcFiles: etc, CgroupsPath: containerCgroupPath(c), InitPath: cs.initFor(c), NetNSPath: nsPath,
		PidNSPath: shared.pidNS, IpcNSPath: shared.ipcNS, ShmPath: shared.shm, LinkEnv: linkEnv(links),
	})
	if err != nil {
		return "", err
	}
	s.Root.Path = rootfs
	clampOOMScoreAdj(s.Process)
	if err := cs.mountVolumes(c, undo); err != nil {
		return "", err
	}
	if err := addVolumeMounts(s, rootfs, c.Mounts); err != nil {
		return "", err
	}
	return dir, writeJSON(filepath.Join(dir, "config.json"), s)
}

// launchShim starts the container's shim, ready to run it, and registers it.
func (cs *Containers) launchShim(ctx context.Context, c *container.Container, dir string, undo *cleanups) (*liveContainer, error) {
	rt := cs.cfg.Runtimes[c.Runtime]
	runtimePath, err := exec.LookPath(rt.Path)
	if err != nil {
		return nil, fmt.Errorf("OCI runtime %q: %w", c.Runtime, err)
	}
	opts := shim.Options{
		Runtime: runtimePath, RuntimeArgs: rt.Args, RuntimeRoot: cs.runtimeRoot(c.Runtime),
		Bundle: dir, Tty: c.Config.Tty, OpenStdin: c.Config.OpenStdin, StdinOnce: c.Config.StdinOnce,
		ExitFile: filepath.Join(dir, "exit.json"),
		Log:      cs.logOptions(c), CgroupPath: containerCgroupPath(c),
	}
	if err := shim.Launch(ctx, cs.shimPath, c.ID, dir, opts); err != nil {
		return nil, runtimeError(err)
	}
	client, err := shim.Connect(dir)
	if err != nil {
		return nil, err
	}
	undo.add(func() { _ = client.Kill(context.Background(), 9, true) })
	lc := &liveContainer{shim: client, exited: make(chan struct{})}
	cs.mu.Lock()
	cs.live[c.ID] = lc
	cs.mu.Unlock()
	undo.add(func() { cs.mu.Lock(); delete(cs.live, c.ID); cs.mu.Unlock() })
	return lc, nil
}

// cleanups is a stack of undo steps, run last-first when a multi-step
// setup fails halfway.
type cleanups []func()

func (u *cleanups) add(f func()) { *u = append(*u, f) }

func (u cleanups) run() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

// runtimeError words a runtime failure as Docker does; the docker CLI
// picks its exit code (127, 126) from this text.
func runtimeError(err error) error {
	return errdefs.ErrInvalidArgument.WithMessage("failed to create task for container: OCI runtime create failed: " + err.Error() + ": unknown")
}

// exitCodeOf is the exit code Docker records for a failed start.
func exitCodeOf(err error) int {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		return 127
	case strings.Contains(msg, "permission denied"):
		return 126
	}
	return 128
}

// monitor waits for the container's process to end and records it.
func (cs *Containers) monitor(c *container.Container, lc *liveContainer) {
	exit, err := lc.shim.Wait(context.Background())
	if err != nil {
		// The shim is gone without telling: trust its exit file, if any.
		var ok bool
		exit, ok, _ = shim.ReadExit(filepath.Join(cs.stateDir(c.ID), "exit.json"))
		if !ok {
			exit = shim.Exit{ExitCode: 255, ExitedAt: time.Now().UTC()}
		}
	}
	cs.recordExit(c, exit, true)
	close(lc.exited)
}

// recordExit marks c exited, or restarting when withPolicy and its restart
// policy says so, cleans up its run state and wakes waiters; an
// auto-remove container is removed.
func (cs *Containers) recordExit(c *container.Container, exit shim.Exit, withPolicy bool) {
	c.Lock()
	cs.stopHealthLocked(c)
	ran := exit.ExitedAt.Sub(c.State.StartedAt)
	var restart *pendingRestart
	var delay time.Duration
	if withPolicy {
		restart, delay = cs.planRestart(c, exit.ExitCode, ran)
	}
	if restart != nil {
		c.RestartCount++
		c.State.SetRestarting(exit.ExitCode, exit.ExitedAt, exit.OOMKilled)
	} else {
		c.State.SetExited(exit.ExitCode, exit.ExitedAt, exit.OOMKilled)
	}
	cs.unpublishPorts(c.ID)
	cs.detachNetwork(c)
	if err := cs.store.Save(c); err != nil {
		cs.log.Error("saving container state", "container", c.ID, "err", err)
	}
	if err := cs.layers.UnmountRW(c.ID); err != nil {
		cs.log.Warn("unmounting container filesystem", "container", c.ID, "err", err)
	}
	cs.unmountVolumes(c)
	cs.releaseShm(c)
	_ = os.RemoveAll(cs.stateDir(c.ID))
	autoRemove := c.HostConfig.AutoRemove && restart == nil && !c.HasBeenManuallyRestarted
	if exit.OOMKilled {
		cs.publishLocked(c, eventtypes.ActionOOM, nil)
	}
	cs.publishLocked(c, eventtypes.ActionDie, map[string]string{"exitCode": fmt.Sprint(exit.ExitCode), "execDuration": fmt.Sprint(int(ran.Seconds()))})
	c.Unlock()
	cs.mu.Lock()
	delete(cs.live, c.ID)
	cs.mu.Unlock()
	cs.notify(c.ID, waitNextExit, exit.ExitCode)
	if restart != nil {
		go cs.restartAfter(c, restart, delay)
	}
	select {
	case cs.exitedLogs <- c.ID:
	default: // the compressor is busy; the next start or restore catches up
	}
	if autoRemove {
		if err := cs.remove(c, false, true); err != nil {
			cs.log.Error("auto-removing container", "container", c.ID, "err", err)
		}
	}
}

func (cs *Containers) initFor(c *container.Container) string {
	if c.HostConfig.Init != nil && *c.HostConfig.Init {
		return cs.initPath
	}
	return ""
}

func (cs *Containers) logOptions(c *container.Container) shim.LogOptions {
	path, local := cs.logFile(c)
	if path == "" {
		return shim.LogOptions{Driver: "none"}
	}
	if local {
		o, _ := parseLocalLogOptions(c.HostConfig.LogConfig.Config) // checked at create
		// Docker rotates before every message with max-size 0, and keeps
		// one file with max-file 0; 0 means the default to the shim.
		return shim.LogOptions{Driver: "local", Path: path, MaxSize: max(o.maxSize, 1), MaxFiles: max(o.maxFiles, 1)}
	}
	maxSize, maxFiles := int64(10<<20), 3 // rotation on by default
	if v, ok := c.HostConfig.LogConfig.Config["max-size"]; ok {
		if n, err := units.RAMInBytes(v); err == nil {
			maxSize = n
		}
	}
	if v, ok := c.HostConfig.LogConfig.Config["max-file"]; ok {
		fmt.Sscanf(v, "%d", &maxFiles)
	}
	return shim.LogOptions{Driver: "json-file", Path: c.LogPath, MaxSize: maxSize, MaxFiles: maxFiles}
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o600)
}

// publishLocked is publish for a caller holding c's lock.
func (cs *Containers) publishLocked(c *container.Container, action eventtypes.Action, extra map[string]string) {
	attrs := map[string]string{"name": strings.TrimPrefix(c.Name, "/"), "image": c.ImageRef}
	for k, v := range c.Config.Labels {
		attrs[k] = v
	}
	for k, v := range extra {
		attrs[k] = v
	}
	cs.bus.Publish(eventtypes.ContainerEventType, action, c.ID, attrs)
}

// clampOOMScoreAdj raises a requested oom_score_adj below berthd's own to
// berthd's: lowering it needs CAP_SYS_RESOURCE, which some hosts (this VM)
// do not grant, and runc would fail the start.
func clampOOMScoreAdj(p *specs.Process) {
	if p == nil || p.OOMScoreAdj == nil {
		return
	}
	b, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return
	}
	own, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err == nil && *p.OOMScoreAdj < own {
		*p.OOMScoreAdj = own
	}
}

// addVolumeMounts fills new volumes from the image's content at their
// destination (Docker's copy-up, skipped for binds and nocopy) and adds the
// mounts to the spec, parents before children.
func addVolumeMounts(s *specs.Spec, rootfs string, mounts []volume.Mount) error {
	sorted := slices.Clone(mounts)
	slices.SortStableFunc(sorted, func(a, b volume.Mount) int {
		return strings.Count(filepath.Clean(a.Destination), "/") - strings.Count(filepath.Clean(b.Destination), "/")
	})
	for _, m := range sorted {
		if err := volume.CopyUp(rootfs, m); err != nil {
			return fmt.Errorf("copying image content into volume at %s: %w", m.Destination, err)
		}
		s.Mounts = append(s.Mounts, m.OCI())
	}
	return nil
}

// cgroupPath is the container's cgroup (cgroupfs driver) under each hierarchy.
func cgroupPath(id string) string { return "/berth/" + id }

// removeCgroup removes an empty cgroup from every hierarchy it exists in
// (cgroup v1 mounts one per controller; v2 has one).
func removeCgroup(path string) {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", path))
	dirs = append(dirs, filepath.Join("/sys/fs/cgroup", path))
	for _, d := range dirs {
		_ = os.Remove(d) // rmdir: fails while processes remain, which is right
	}
}
