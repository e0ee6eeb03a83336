package volume

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/volume"
)

// Resolve parses the container's mounts (see Parse), creates the named and
// anonymous volumes they need, makes missing -v bind sources, checks --mount
// bind sources, and takes a reference on every volume for containerID. On
// error nothing is left behind: references are dropped and the anonymous
// volumes it created are removed.
func (s *Store) Resolve(ctx context.Context, containerID string, hc *container.HostConfig, imageVolumes map[string]struct{}) ([]Mount, error) {
	ms, err := Parse(hc, imageVolumes)
	if err != nil {
		return nil, err
	}
	var undo []func()
	ok := false
	defer func() {
		if !ok {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	for i := range ms {
		m := &ms[i]
		switch m.Type {
		case mount.TypeBind:
			if err := checkBindSource(m); err != nil {
				return nil, err
			}
		case mount.TypeVolume:
			u, err := s.attach(ctx, containerID, m)
			if err != nil {
				return nil, err
			}
			undo = append(undo, u)
		}
	}
	ok = true
	return ms, nil
}

func checkBindSource(m *Mount) error {
	_, err := os.Stat(m.Source)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	case m.CreateSource:
		return os.MkdirAll(m.Source, 0o755)
	}
	return mountConfigError(mount.TypeBind, "bind source path does not exist: "+m.Source)
}

// attach creates (if needed) and references the volume of m, filling in its
// name and Source. It returns how to undo that.
func (s *Store) attach(_ context.Context, containerID string, m *Mount) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, existed := s.vols[m.Name]
	e, err := s.createLocked(volume.CreateRequest{Name: m.Name, Driver: m.Driver, Labels: m.labels})
	if err != nil {
		return nil, err
	}
	e.refs[containerID] = struct{}{}
	m.Name, m.Driver, m.Source = e.name, e.meta.Driver, s.Mountpoint(e.name)
	created := !existed
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(e.refs, containerID)
		if created && len(e.refs) == 0 {
			if err := s.removeLocked(e); err != nil {
				s.log.Warn("cannot remove volume after failed create", "name", e.name, "err", err)
			}
		}
	}, nil
}

// Release drops every reference containerID holds. With removeAnonymous
// (rm -v) the container's anonymous volumes that nothing else uses are
// removed too.
func (s *Store) Release(containerID string, removeAnonymous bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, e := range s.sortedLocked() {
		if _, ok := e.refs[containerID]; !ok {
			continue
		}
		delete(e.refs, containerID)
		if removeAnonymous && e.anonymous() && len(e.refs) == 0 {
			if err := s.removeLocked(e); err != nil && !errdefs.IsConflict(err) {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("release volumes of %s: %w", containerID, err)
	}
	return nil
}
