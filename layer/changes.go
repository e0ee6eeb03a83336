package layer

import (
	"fmt"
	"path"
	"path/filepath"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// ChangeKind is the kind of a change, numbered as Docker's API does.
type ChangeKind uint8

const (
	ChangeModify ChangeKind = 0 // "C"
	ChangeAdd    ChangeKind = 1 // "A"
	ChangeDelete ChangeKind = 2 // "D"
)

// Change is one path a container added, changed or deleted.
type Change struct {
	Path string
	Kind ChangeKind
}

// Changes lists what container id changed in its rw layer, as docker diff
// does for overlay2: every path in the upper dir is added, or modified if
// a lower layer has it (a directory whose size, mode and mtime are equal
// to the lower one's is left out), whiteouts and opaque directories that
// hide lower content are deletions, and the parent of an addition or
// deletion counts as modified.
func (s *Store) Changes(id string) ([]Change, error) {
	lowers, err := s.lowerDirs(id)
	if err != nil {
		return nil, err
	}
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, dir := range lowers {
		fd, err := unix.Open(dir, dirFlags, 0)
		if err != nil {
			return nil, err
		}
		fds = append(fds, fd)
	}
	upper, err := unix.Open(s.RWDiffDir(id), dirFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("container layer %s: %w", id, err)
	}
	defer unix.Close(upper)
	var changes []Change
	changedDirs := map[string]bool{}
	err = walkTree(upper, "", func(parent int, rel, name string, st *unix.Stat_t) error {
		p := "/" + rel
		kind := ChangeAdd
		lower, inLower := statLowers(fds, rel)
		isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		switch {
		case isWhiteout(st), isDir && inLower && isOpaque(parent, name):
			kind = ChangeDelete
		case inLower:
			if isDir && lower.Mode&unix.S_IFMT == unix.S_IFDIR && sameDir(st, lower) {
				return nil
			}
			kind = ChangeModify
		}
		if isDir {
			changedDirs[p] = true
		}
		if kind != ChangeModify {
			if dir := path.Dir(p); dir != "/" && !changedDirs[dir] {
				changes = append(changes, Change{Path: dir, Kind: ChangeModify})
				changedDirs[dir] = true
			}
		}
		changes = append(changes, Change{Path: p, Kind: kind})
		return nil
	})
	return changes, err
}

// sameDir is Docker's test for a directory only listed as a parent.
func sameDir(a, b *unix.Stat_t) bool {
	return a.Size == b.Size && a.Mode == b.Mode && a.Mtim.Sec == b.Mtim.Sec && a.Mtim.Nsec == b.Mtim.Nsec
}

// statLowers looks rel up in the lower layers, top first, without
// following symlinks (a path below a symlink is not in that layer).
func statLowers(lowers []int, rel string) (*unix.Stat_t, bool) {
	for _, l := range lowers {
		dir, err := openDir(l, path.Dir(rel), false)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		err = unix.Fstatat(dir, path.Base(rel), &st, unix.AT_SYMLINK_NOFOLLOW)
		unix.Close(dir)
		if err == nil {
			if isWhiteout(&st) {
				return nil, false // deleted by that layer
			}
			return &st, true
		}
	}
	return nil, false
}

// lowerDirs are the container's init layer and the diff dirs of its image
// layers, top first.
func (s *Store) lowerDirs(id string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, ok := s.rw[id]
	if !ok {
		return nil, fmt.Errorf("container layer %s: %w", id, errdefs.ErrNotFound)
	}
	var dirs []string
	if init, ok := s.initDir(id); ok {
		dirs = append(dirs, init)
	}
	for c := parent; c != ""; {
		l, err := s.getLocked(c)
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, filepath.Join(s.layerDir(c), contentDir))
		c = l.Parent
	}
	return dirs, nil
}
