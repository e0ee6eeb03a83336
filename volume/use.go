package volume

import (
	"strconv"

	"github.com/berth/berth/mountinfo"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/mount"
)

// Publisher receives the volume events: create, destroy, mount, unmount.
type Publisher func(action eventtypes.Action, name string, attrs map[string]string)

// SetPublisher sets where volume events go.
func (s *Store) SetPublisher(p Publisher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publish = p
}

func (s *Store) emitLocked(action eventtypes.Action, name string, attrs map[string]string) {
	if s.publish != nil {
		s.publish(action, name, attrs)
	}
}

// Mount is called for each volume mount of a container about to start
// (user is the container's ID) or of a view of its filesystem (docker cp;
// user names that view): a volume with a filesystem of its own (driver
// options type/device/o) is mounted on its _data by its first user.
func (s *Store) Mount(m Mount, containerID, user string) error {
	if m.Type != mount.TypeVolume {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.vols[m.Name]
	if !ok {
		return notFound(m.Name)
	}
	if e.active == nil {
		e.active = map[string]struct{}{}
	}
	if e.needsMount() && len(e.active) == 0 {
		if mounted, err := mountinfo.IsMountPoint(s.Mountpoint(e.name)); err != nil {
			return err
		} else if !mounted { // after a live restore it still is
			if err := s.mountFS(e); err != nil {
				return err
			}
		}
	}
	e.active[user] = struct{}{}
	s.emitLocked(eventtypes.ActionMount, e.name, map[string]string{"driver": e.meta.Driver, "container": containerID,
		"destination": m.Destination, "read/write": strconv.FormatBool(m.RW), "propagation": string(m.Propagation)})
	return nil
}

// Unmount is Mount undone, when the container stopped or the view closed;
// the last user of a volume with a filesystem of its own unmounts it.
func (s *Store) Unmount(m Mount, containerID, user string) error {
	if m.Type != mount.TypeVolume {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.vols[m.Name]
	if !ok {
		return nil
	}
	delete(e.active, user)
	s.emitLocked(eventtypes.ActionUnmount, e.name, map[string]string{"driver": e.meta.Driver, "container": containerID})
	if e.needsMount() && len(e.active) == 0 {
		return s.unmountFS(e)
	}
	return nil
}

// MarkMounted records, without mounting nor an event, that user (a
// container found running after a daemon restart) has m mounted.
func (s *Store) MarkMounted(m Mount, user string) {
	if m.Type != mount.TypeVolume {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.vols[m.Name]; ok {
		if e.active == nil {
			e.active = map[string]struct{}{}
		}
		e.active[user] = struct{}{}
	}
}
