// Package layer keeps read-only image layers unpacked on disk, ready to be
// stacked as overlayfs lower directories.
//
// On-disk layout under the store root:
//
//	sha256/<chain-id hex>/        one directory per layer, renamed into place whole
//	    diff/                     the content, as overlay2 stores it: whiteouts are
//	                              0/0 character devices, opaque directories carry
//	                              trusted.overlay.opaque=y
//	    diffid                    "sha256:<hex>" of the uncompressed tar
//	    parent                    the parent's chain ID, empty for a base layer
//	    size                      decimal bytes of content: regular files and symlink targets, as Docker counts
//	    tar-split.json.gz         tar-split metadata: Diff rebuilds the exact tar
//	                              from it and diff/
//	tmp/                          registrations in progress and layers being
//	                              removed; emptied by NewStore
//
// A layer directory appears by one rename of a complete temp directory and
// disappears by one rename to tmp/, so a crash leaves only litter in tmp/.
// One Store (one process) owns a root at a time.
//
// Applying a tar never writes outside diff/: names that climb out are
// refused, parents are opened one component at a time without following
// symlinks (an entry below a symlink is refused, where Docker would follow
// it inside a chroot), and entries are made with the *at system calls.
// Xattrs in the overlay namespaces are dropped from tars. Sparse files are
// refused (tar-split cannot give them back). A hardlink takes its target's
// attributes. A tar whose later entry replaces an earlier file's content
// (through "/a" after "a", say) registers, as in Docker, but its Diff ends
// with an errdefs.ErrDataLoss error.
package layer

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// Layer describes one registered layer.
type Layer struct {
	ChainID digest.Digest // identity of this layer stacked on its parents
	DiffID  digest.Digest // sha256 of the uncompressed tar stream
	Parent  digest.Digest // ChainID of the parent, "" for a base layer
	Size    int64         // bytes of unpacked content of this layer alone
}

// Store holds layers under its root directory.
type Store struct {
	root   string
	log    *slog.Logger
	syncfs bool // flush the filesystem before a layer appears (tests may skip it)

	// mu guards layers, rw and the renames into and out of sha256/.
	mu     sync.Mutex
	layers map[digest.Digest]Layer
	rw     map[string]digest.Digest // container rw layer ID -> its parent chain ID
}

// NewStore opens (creating if needed) the layer store under root and removes
// anything a crash left half-made.
func NewStore(root string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{root: root, log: log, syncfs: true, layers: map[digest.Digest]Layer{}, rw: map[string]digest.Digest{}}
	for _, dir := range []string{root, s.layersDir(), s.tmpDir()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("layer store: %w", err)
		}
	}
	if err := s.cleanTmp(); err != nil {
		return nil, err
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	if err := s.loadRW(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) layersDir() string { return filepath.Join(s.root, "sha256") }
func (s *Store) tmpDir() string    { return filepath.Join(s.root, "tmp") }

func (s *Store) layerDir(chainID digest.Digest) string {
	return filepath.Join(s.layersDir(), chainID.Encoded())
}

// cleanTmp removes interrupted registrations and removals.
func (s *Store) cleanTmp() error {
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return fmt.Errorf("layer store: %w", err)
	}
	for _, e := range entries {
		s.log.Info("removing leftover of an interrupted layer operation", "name", e.Name())
		if err := os.RemoveAll(filepath.Join(s.tmpDir(), e.Name())); err != nil {
			return fmt.Errorf("layer store: %w", err)
		}
	}
	return nil
}

// load reads every layer's metadata. A directory that does not read as a
// layer is left alone and logged: it is not ours to delete.
func (s *Store) load() error {
	entries, err := os.ReadDir(s.layersDir())
	if err != nil {
		return fmt.Errorf("layer store: %w", err)
	}
	for _, e := range entries {
		l, err := readLayer(s.layersDir(), e.Name())
		if err != nil {
			s.log.Warn("skipping unreadable layer", "dir", e.Name(), "err", err)
			continue
		}
		s.layers[l.ChainID] = l
	}
	for _, l := range s.layers {
		if _, ok := s.layers[l.Parent]; l.Parent != "" && !ok {
			s.log.Warn("layer's parent is missing", "layer", l.ChainID, "parent", l.Parent)
		}
	}
	return nil
}

// Get returns the layer with the given ChainID, or an errdefs.ErrNotFound error.
func (s *Store) Get(chainID digest.Digest) (Layer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getLocked(chainID)
}

func (s *Store) getLocked(chainID digest.Digest) (Layer, error) {
	l, ok := s.layers[chainID]
	if !ok {
		return Layer{}, fmt.Errorf("layer %s: %w", chainID, errdefs.ErrNotFound)
	}
	return l, nil
}

// Dir returns the directory holding the layer's unpacked content (an overlay lower dir).
func (s *Store) Dir(chainID digest.Digest) (string, error) {
	l, err := s.Get(chainID)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.layerDir(l.ChainID), "diff"), nil
}

// List returns every registered layer, ordered by ChainID.
func (s *Store) List() ([]Layer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]Layer, 0, len(s.layers))
	for _, l := range s.layers {
		list = append(list, l)
	}
	slices.SortFunc(list, func(a, b Layer) int { return strings.Compare(string(a.ChainID), string(b.ChainID)) })
	return list, nil
}

// Remove deletes a layer. It refuses (errdefs.ErrConflict) while another layer has it as parent.
func (s *Store) Remove(chainID digest.Digest) error {
	trash, err := s.detach(chainID)
	if err != nil {
		return err
	}
	if err := syncDir(s.layersDir()); err != nil {
		s.log.Warn("persisting layer removal", "layer", chainID, "err", err)
	}
	if err := os.RemoveAll(trash); err != nil {
		// The layer is gone already; NewStore finishes the job.
		s.log.Warn("removing layer content", "layer", chainID, "err", err)
	}
	return nil
}

// detach takes the layer out of the store by renaming its directory into
// tmp/, and returns the new name.
func (s *Store) detach(chainID digest.Digest) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.getLocked(chainID); err != nil {
		return "", err
	}
	for _, l := range s.layers {
		if l.Parent == chainID {
			return "", fmt.Errorf("layer %s is the parent of %s: %w", chainID, l.ChainID, errdefs.ErrConflict)
		}
	}
	for id, parent := range s.rw {
		if parent == chainID {
			return "", fmt.Errorf("layer %s is used by container layer %s: %w", chainID, id, errdefs.ErrConflict)
		}
	}
	trash, err := os.MkdirTemp(s.tmpDir(), "remove-")
	if err != nil {
		return "", err
	}
	if err := os.Rename(s.layerDir(chainID), filepath.Join(trash, "layer")); err != nil {
		os.Remove(trash)
		return "", err
	}
	delete(s.layers, chainID)
	return trash, nil
}

// ChainID computes the chain ID of diffIDs stacked in order (OCI image-spec definition).
func ChainID(diffIDs []digest.Digest) digest.Digest {
	var chain digest.Digest
	for _, id := range diffIDs {
		chain = chainOf(chain, id)
	}
	return chain
}

// chainOf is the chain ID of the layer diffID on top of the chain parent.
func chainOf(parent, diffID digest.Digest) digest.Digest {
	if parent == "" {
		return diffID
	}
	return digest.FromString(string(parent) + " " + string(diffID))
}
