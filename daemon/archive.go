package daemon

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/berth/berth/container"
	"github.com/berth/berth/containerfs"
	"github.com/berth/berth/runtime/spec"
	"github.com/berth/berth/volume"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/mount"
)

// The container filesystem APIs (docker cp) work through a containerfs.View:
// the container's root and its volume and bind mounts, seen from a thread
// chrooted into it (see docs/container-fs.md).

// StatPath describes path in the container, as HEAD /containers/{id}/archive.
func (cs *Containers) StatPath(ctx context.Context, ref, path string) (containertypes.PathStat, error) {
	_, view, closeView, err := cs.openView(ref, true)
	if err != nil {
		return containertypes.PathStat{}, err
	}
	defer closeView()
	st, err := view.Stat(containerfs.AbsPath(path))
	return st, fileError(err, path, ref)
}

// ArchivePath writes a tar of path in the container to w once ready has
// been called with the path's stat (so the caller can send its header
// before the first byte), as GET /containers/{id}/archive.
func (cs *Containers) ArchivePath(ctx context.Context, ref, path string, ready func(containertypes.PathStat), w io.Writer) error {
	c, view, closeView, err := cs.openView(ref, true)
	if err != nil {
		return err
	}
	defer closeView()
	abs := containerfs.AbsPath(path)
	st, err := view.Stat(abs)
	if err != nil {
		return fileError(err, path, ref)
	}
	ready(st)
	cs.publish(c, eventtypes.ActionArchivePath, nil)
	return view.Archive(w, abs)
}

// ExtractToDir unpacks the tar r into the directory path of the container,
// as PUT /containers/{id}/archive.
func (cs *Containers) ExtractToDir(ctx context.Context, ref, path string, noOverwriteDirNonDir, copyUIDGID bool, r io.Reader) error {
	c, view, closeView, err := cs.openView(ref, true)
	if err != nil {
		return err
	}
	defer closeView()
	c.Lock()
	opts := containerfs.ExtractOptions{
		NoOverwriteDirNonDir: noOverwriteDirNonDir,
		Writable:             writableCheck(slices.Clone(c.Mounts), c.HostConfig.ReadonlyRootfs),
	}
	user := c.Config.User
	c.Unlock()
	if copyUIDGID {
		err := view.Do(func() error {
			u, _, err := spec.ResolveUser("/", user, nil)
			opts.Chown, opts.UID, opts.GID = true, int(u.UID), int(u.GID)
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := view.Extract(r, path, opts); err != nil {
		return fileError(err, path, ref)
	}
	cs.publish(c, eventtypes.ActionExtractToDir, nil)
	return nil
}

// openView opens a view of the container's filesystem; withMounts adds its
// volumes and binds (export leaves them out, as Docker does). Volumes with
// a filesystem of their own are mounted for the view's time, as Docker
// does; close ends the view and unmounts them.
func (cs *Containers) openView(ref string, withMounts bool) (c *container.Container, view *containerfs.View, close func(), err error) {
	if c, err = cs.store.Get(ref); err != nil {
		return nil, nil, nil, err
	}
	c.Lock()
	opts := containerfs.Options{
		MountRoot:    func() (string, error) { return cs.layers.MountRW(c.ID) },
		ReadOnlyRoot: c.HostConfig.ReadonlyRootfs,
	}
	var mounts []volume.Mount
	if withMounts {
		mounts = slices.Clone(c.Mounts)
	}
	c.Unlock()
	var undo cleanups
	defer func() {
		if err != nil {
			undo.run()
		}
	}()
	user := c.ID + "/view-" + strconv.FormatUint(viewSeq.Add(1), 10)
	for _, m := range mounts {
		if m.Type != mount.TypeBind && m.Type != mount.TypeVolume {
			continue
		}
		if cs.vols != nil {
			if err := cs.vols.Mount(m, c.ID, user); err != nil {
				return nil, nil, nil, err
			}
			undo.add(func() { _ = cs.vols.Unmount(m, c.ID, user) })
		}
		opts.Binds = append(opts.Binds, containerfs.Bind{Source: m.Source, Destination: m.Destination, RW: m.RW, NonRecursive: m.NonRecursive})
	}
	if view, err = containerfs.Open(opts); err != nil {
		return nil, nil, nil, err
	}
	return c, view, func() { view.Close(); undo.run() }, nil
}

// viewSeq tells concurrent views of one container apart.
var viewSeq atomic.Uint64

// writableCheck is Docker's rule for extraction: a path in a mount is
// writable when that mount is, anything else when the rootfs is.
func writableCheck(mounts []volume.Mount, readonlyRoot bool) func(string) error {
	return func(dir string) error {
		best := -1
		for i, m := range mounts {
			if m.Type == mount.TypeTmpfs {
				continue // not mounted in the view: writes land in the rootfs
			}
			d := filepath.Clean(m.Destination)
			if (dir == d || strings.HasPrefix(dir, strings.TrimSuffix(d, "/")+"/")) && (best < 0 || len(d) > len(mounts[best].Destination)) {
				best = i
			}
		}
		switch {
		case best >= 0 && !mounts[best].RW:
			return errdefs.ErrPermissionDenied.WithMessage("mounted volume is marked read-only")
		case best < 0 && readonlyRoot:
			return errdefs.ErrPermissionDenied.WithMessage("container rootfs is marked read-only")
		}
		return nil
	}
}

// fileError words a missing path as Docker does.
func fileError(err error, path, ref string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errdefs.ErrNotFound.WithMessage("Could not find the file " + path + " in container " + ref)
	}
	return err
}
