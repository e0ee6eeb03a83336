package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/berth/berth/container"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
)

// killTimeout bounds how long a forced removal waits for a killed
// container's exit (a process stuck in the kernel may never go).
const killTimeout = 30 * time.Second

// Remove deletes a container, as DELETE /containers/{id}: a running one
// only with force (it is killed first).
func (cs *Containers) Remove(ctx context.Context, ref string, force, volumes bool) error {
	c, err := cs.store.Get(ref)
	if err != nil {
		return err
	}
	return cs.remove(c, force, volumes)
}

func (cs *Containers) remove(c *container.Container, force, volumes bool) error {
	if force {
		cs.endRestarting(c) // a pending restart is dropped first
	}
	c.Lock()
	if c.State.RemovalInProgress {
		c.Unlock()
		return errdefs.ErrConflict.WithMessage("removal of container " + c.ID + " is already in progress")
	}
	if c.State.Starting {
		c.Unlock()
		return errdefs.ErrConflict.WithMessage("cannot remove container " + c.ID + ": it is being started")
	}
	running := c.State.IsRunning() || c.State.IsRestarting()
	if running && !force {
		c.Unlock()
		return errdefs.ErrConflict.WithMessage("You cannot remove a running container " + c.ID + ". Stop the container before attempting removal or force remove")
	}
	c.State.RemovalInProgress = true
	code := c.State.ExitCode
	c.Unlock()
	cs.mu.Lock()
	lc := cs.live[c.ID]
	cs.mu.Unlock()
	if lc != nil {
		cs.noteStop(c, 9) // its exit must not restart it
		_ = lc.shim.Kill(context.Background(), 9, true)
		select {
		case <-lc.exited:
		case <-time.After(killTimeout):
			c.Lock()
			c.State.RemovalInProgress = false
			c.Unlock()
			return fmt.Errorf("could not kill running container %s, cannot remove: no exit after SIGKILL in %s", c.ID, killTimeout)
		}
		c.Lock()
		code = c.State.ExitCode
		c.Unlock()
	}
	cs.releaseShm(c) // normally gone at exit; not after a crash
	if err := cs.layers.RemoveRW(c.ID); err != nil {
		c.Lock()
		c.State.RemovalInProgress = false
		c.State.Status = containertypes.StateDead
		_ = cs.store.Save(c)
		c.Unlock()
		return err
	}
	if err := cs.store.Delete(c); err != nil {
		return err
	}
	cs.releaseMounts(c.ID, volumes)
	cs.forgetSupervision(c.ID)
	cs.publish(c, "destroy", nil)
	cs.dropPendingAttaches(c.ID)
	cs.notify(c.ID, waitRemoved, code)
	return nil
}

// Rename gives the container a new name.
func (cs *Containers) Rename(ctx context.Context, ref, newName string) error {
	c, err := cs.store.Get(ref)
	if err != nil {
		return err
	}
	if newName == "" {
		return errdefs.ErrInvalidArgument.WithMessage("Neither old nor new names may be empty")
	}
	if err := container.ValidateName(newName); err != nil {
		return err
	}
	if newName[0] != '/' {
		newName = "/" + newName
	}
	c.Lock()
	old := c.Name
	c.Unlock()
	if old == newName {
		return errdefs.ErrInvalidArgument.WithMessage("Renaming a container with the same name as its current name")
	}
	if err := cs.store.Rename(c, newName); err != nil {
		return err
	}
	cs.renameEndpoints(c.ID, newName)
	cs.publish(c, "rename", map[string]string{"oldName": old})
	return nil
}
