package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/berth/berth/container"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

// defaultShmSize is Docker's /dev/shm size when HostConfig.ShmSize is 0.
const defaultShmSize = 64 << 20

// checkNamespaceModes refuses PID, IPC, UTS and user namespace modes that
// Docker refuses at create, with its messages. Other containers named in
// "container:" modes are looked up at start, when they must run.
func checkNamespaceModes(cfg *containertypes.Config, hc *containertypes.HostConfig) error {
	invalid := func(format string, args ...any) error {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, args...))
	}
	switch {
	case !hc.PidMode.Valid():
		return invalid("invalid PID mode: %v", hc.PidMode)
	case !hc.IpcMode.Valid():
		return invalid("invalid IPC mode: %v", hc.IpcMode)
	case !hc.UTSMode.Valid():
		return invalid("invalid UTS mode: %v", hc.UTSMode)
	case !hc.UsernsMode.Valid():
		return invalid("invalid USER mode: %v", hc.UsernsMode)
	case hc.UTSMode.IsHost() && cfg.Hostname != "":
		return invalid("conflicting options: hostname and the UTS mode")
	}
	return nil
}

// sharedNamespaces is what a container joins or shares by its PID and IPC
// modes, as paths for the spec.
type sharedNamespaces struct {
	pidNS, ipcNS string // another container's namespaces ("container:<id>")
	shm          string // a host tmpfs bound at /dev/shm
}

// shareNamespaces resolves the PID and IPC modes at start, as dockerd
// does: "container:<id>" joins that running container's namespace (for
// IPC, one made "shareable", whose /dev/shm it shares too), and
// "shareable" gets a /dev/shm on the host, mounted until the container
// exits, that others can join.
func (cs *Containers) shareNamespaces(c *container.Container, undo *cleanups) (sharedNamespaces, error) {
	var sn sharedNamespaces
	hc := c.HostConfig
	if hc.PidMode.IsContainer() {
		_, pid, err := cs.runningDonor(hc.PidMode.Container(), "PID")
		if err != nil {
			return sn, err
		}
		sn.pidNS = nsPath(pid, "pid")
	}
	switch {
	case hc.IpcMode.IsContainer():
		donor, pid, err := cs.runningDonor(hc.IpcMode.Container(), "IPC")
		if err != nil {
			return sn, err
		}
		if !donor.HostConfig.IpcMode.IsShareable() {
			return sn, errdefs.ErrInvalidArgument.WithMessage("non-shareable IPC (hint: use IpcMode:shareable for the donor container)")
		}
		sn.ipcNS, sn.shm = nsPath(pid, "ipc"), cs.shmPath(donor.ID)
	case hc.IpcMode.IsShareable():
		shm := cs.shmPath(c.ID)
		if err := mountShm(shm, hc.ShmSize); err != nil {
			return sn, err
		}
		undo.add(func() { cs.releaseShm(c) })
		sn.shm = shm
	}
	return sn, nil
}

// runningDonor is the container whose namespace another joins, with its
// init's pid; Docker's errors when it is missing or not running.
func (cs *Containers) runningDonor(ref, kind string) (*container.Container, int, error) {
	donor, err := cs.store.Get(ref)
	if err != nil {
		return nil, 0, err
	}
	donor.Lock()
	defer donor.Unlock()
	if !donor.State.IsRunning() || donor.State.Pid == 0 {
		return nil, 0, errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot join %s of a non running container: %s", kind, ref))
	}
	return donor, donor.State.Pid, nil
}

func nsPath(pid int, kind string) string {
	return filepath.Join("/proc", strconv.Itoa(pid), "ns", kind)
}

// shmPath is where a shareable container's /dev/shm is mounted on the host.
func (cs *Containers) shmPath(id string) string {
	return filepath.Join(cs.store.Dir(id), "mounts", "shm")
}

func mountShm(path string, size int64) error {
	if size <= 0 {
		size = defaultShmSize
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return err
	}
	opts := "mode=1777,size=" + strconv.FormatInt(size, 10)
	if err := unix.Mount("shm", path, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, opts); err != nil {
		return fmt.Errorf("mounting /dev/shm of a shareable container: %w", err)
	}
	return nil
}

// releaseShm unmounts a shareable container's /dev/shm, if mounted: at its
// exit, as Docker (containers that joined keep their own bind of it).
func (cs *Containers) releaseShm(c *container.Container) {
	if !c.HostConfig.IpcMode.IsShareable() {
		return
	}
	path := cs.shmPath(c.ID)
	err := unix.Unmount(path, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		cs.log.Warn("unmounting /dev/shm", "container", c.ID, "err", err)
	}
}
