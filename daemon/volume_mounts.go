package daemon

import (
	"github.com/berth/berth/container"
	"github.com/berth/berth/volume"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
)

// inheritedMounts are the mounts --volumes-from gives a new container:
// those of each named container, in order (a later one wins at the same
// destination).
func (cs *Containers) inheritedMounts(hc *containertypes.HostConfig) ([]volume.Mount, error) {
	byDest := map[string]int{}
	var out []volume.Mount
	for _, spec := range hc.VolumesFrom {
		ref, rw, err := volume.ParseVolumesFrom(spec)
		if err != nil {
			return nil, err
		}
		src, err := cs.store.Get(ref)
		if err != nil {
			return nil, err
		}
		src.Lock()
		mounts := volume.Inherit(src.Mounts, rw)
		src.Unlock()
		for _, m := range mounts {
			if i, ok := byDest[m.Destination]; ok {
				out[i] = m
				continue
			}
			byDest[m.Destination] = len(out)
			out = append(out, m)
		}
	}
	return out, nil
}

// mountVolumes mounts the container's volumes that have a filesystem of
// their own (local driver options) and announces every volume mount, as
// Docker's mount events. On failure, what it mounted is unmounted.
func (cs *Containers) mountVolumes(c *container.Container, undo *cleanups) error {
	if cs.vols == nil {
		return nil
	}
	for _, m := range c.Mounts {
		if err := cs.vols.Mount(m, c.ID, c.ID); err != nil {
			return err
		}
		undo.add(func() { _ = cs.vols.Unmount(m, c.ID, c.ID) })
	}
	return nil
}

// unmountVolumes is mountVolumes undone, when the container stopped.
func (cs *Containers) unmountVolumes(c *container.Container) {
	if cs.vols == nil {
		return
	}
	for _, m := range c.Mounts {
		if err := cs.vols.Unmount(m, c.ID, c.ID); err != nil {
			cs.log.Warn("unmounting volume", "container", c.ID, "volume", m.Name, "err", err)
		}
	}
}

// publishVolume sends a volume event.
func (cs *Containers) publishVolume(action eventtypes.Action, name string, attrs map[string]string) {
	cs.bus.Publish(eventtypes.VolumeEventType, action, name, attrs)
}

// restoreVolumeMountsLocked records the volume mounts of a container found
// running at boot (the volume store keeps them in memory only).
func (cs *Containers) restoreVolumeMountsLocked(c *container.Container) {
	if cs.vols == nil {
		return
	}
	for _, m := range c.Mounts {
		cs.vols.MarkMounted(m, c.ID)
	}
}
