package layer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth/berth/mountinfo"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// A container's read-write layer lives under rw/<id>/:
//
//	parent    chain ID of the image's top layer ("" for an empty image)
//	diff/     the overlay upper dir: what the container changed
//	work/     overlay's work dir
//	merged/   the mount point of the container's root filesystem
//	empty/    a lower dir for images without layers
//	init/     the init layer: mount points the runtime needs (initlayer.go)
//
// Its parent cannot be removed while it exists.

func (s *Store) rwRoot() string         { return filepath.Join(s.root, "rw") }
func (s *Store) rwDir(id string) string { return filepath.Join(s.rwRoot(), id) }

func (s *Store) loadRW() error {
	if err := os.MkdirAll(s.rwRoot(), 0o700); err != nil {
		return fmt.Errorf("layer store: %w", err)
	}
	entries, err := os.ReadDir(s.rwRoot())
	if err != nil {
		return fmt.Errorf("layer store: %w", err)
	}
	for _, e := range entries {
		parent, err := os.ReadFile(filepath.Join(s.rwDir(e.Name()), "parent"))
		if err != nil {
			s.log.Warn("removing incomplete container layer", "id", e.Name())
			_ = s.RemoveRW(e.Name())
			continue
		}
		s.rw[e.Name()] = digest.Digest(strings.TrimSpace(string(parent)))
	}
	return nil
}

// CreateRW makes the read-write layer of container id on top of parent.
func (s *Store) CreateRW(id string, parent digest.Digest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if parent != "" {
		if _, err := s.getLocked(parent); err != nil {
			return err
		}
	}
	if _, ok := s.rw[id]; ok {
		return fmt.Errorf("container layer %s: %w", id, errdefs.ErrAlreadyExists)
	}
	tmp, err := os.MkdirTemp(s.tmpDir(), "rw-")
	if err != nil {
		return err
	}
	for _, d := range []string{"diff", "work", "merged", "empty", "init"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	if err := makeInitLayer(filepath.Join(tmp, "init")); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "parent"), []byte(parent), 0o600); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, s.rwDir(id)); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	s.rw[id] = parent
	return nil
}

// MountRW mounts the container's root filesystem (overlay of the image's
// layers and its rw layer) and returns its path. It is a no-op when the
// filesystem is mounted already (a daemon restart with the container running).
func (s *Store) MountRW(id string) (string, error) {
	s.mu.Lock()
	parent, ok := s.rw[id]
	var lowers []string
	for c := parent; ok && c != ""; {
		l, err := s.getLocked(c)
		if err != nil {
			s.mu.Unlock()
			return "", err
		}
		lowers = append(lowers, filepath.Join(s.layerDir(c), "diff"))
		c = l.Parent
	}
	s.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("container layer %s: %w", id, errdefs.ErrNotFound)
	}
	dir := s.rwDir(id)
	merged := filepath.Join(dir, "merged")
	if mounted, err := mountinfo.IsMountPoint(merged); err != nil || mounted {
		return merged, err
	}
	if init, ok := s.initDir(id); ok {
		lowers = append([]string{init}, lowers...)
	}
	if len(lowers) == 0 {
		lowers = []string{filepath.Join(dir, "empty")}
	}
	upper, work := filepath.Join(dir, "diff"), filepath.Join(dir, "work")
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(lowers, ":"), upper, work)
	if len(opts) < unix.Getpagesize() {
		err := unix.Mount("overlay", merged, "overlay", 0, opts)
		if err != nil {
			return "", fmt.Errorf("mounting container filesystem: %w", err)
		}
		return merged, nil
	}
	if err := mountOverlayLayerByLayer(merged, lowers, upper, work); err != nil {
		return "", fmt.Errorf("mounting container filesystem of %d layers: %w", len(lowers), err)
	}
	return merged, nil
}

// mountOverlayLayerByLayer mounts an overlay whose options do not fit in
// the page mount(2) takes (about 40 layers with the store's paths): the
// mount API of Linux 6.8 and later takes the lower layers one at a time
// ("lowerdir+"), up to overlayfs's own limit of 500.
func mountOverlayLayerByLayer(target string, lowers []string, upper, work string) error {
	fs, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fsopen overlay: %w", err)
	}
	defer unix.Close(fs)
	for _, l := range lowers {
		if err := unix.FsconfigSetString(fs, "lowerdir+", l); err != nil {
			return fmt.Errorf("overlay lowerdir+ %s (the kernel must be 6.8 or later for this many layers): %w", l, err)
		}
	}
	if err := unix.FsconfigSetString(fs, "upperdir", upper); err != nil {
		return fmt.Errorf("overlay upperdir: %w", err)
	}
	if err := unix.FsconfigSetString(fs, "workdir", work); err != nil {
		return fmt.Errorf("overlay workdir: %w", err)
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return fmt.Errorf("creating overlay: %w", err)
	}
	mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("fsmount overlay: %w", err)
	}
	defer unix.Close(mnt)
	return unix.MoveMount(mnt, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH)
}

// UnmountRW unmounts the container's root filesystem if it is mounted.
func (s *Store) UnmountRW(id string) error {
	merged := filepath.Join(s.rwDir(id), "merged")
	for {
		err := unix.Unmount(merged, unix.MNT_DETACH)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return nil // not (or no longer) mounted
		}
		if err != nil {
			return fmt.Errorf("unmounting container filesystem: %w", err)
		}
	}
}

// RemoveRW unmounts and deletes the container's rw layer.
func (s *Store) RemoveRW(id string) error {
	if err := s.UnmountRW(id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	trash, err := os.MkdirTemp(s.tmpDir(), "rw-remove-")
	if err != nil {
		return err
	}
	if err := os.Rename(s.rwDir(id), filepath.Join(trash, "rw")); err != nil && !errors.Is(err, os.ErrNotExist) {
		os.Remove(trash)
		return err
	}
	delete(s.rw, id)
	return os.RemoveAll(trash)
}

// RWDiffDir is the upper dir of the container's rw layer (its changes).
func (s *Store) RWDiffDir(id string) string { return filepath.Join(s.rwDir(id), "diff") }
