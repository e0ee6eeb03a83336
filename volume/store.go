package volume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/berth/berth/atomicfile"
	"github.com/containerd/errdefs"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/volume"
)

const (
	// DriverLocal is the only driver Berth has.
	DriverLocal = "local"
	// AnonymousLabel marks volumes created for a container, as Docker does.
	AnonymousLabel = "com.docker.volume.anonymous"

	metadataFile = "berth.json"
	dataDir      = "_data"
)

// metadata is what berth.json holds.
type metadata struct {
	Driver    string            `json:"Driver"`
	Labels    map[string]string `json:"Labels,omitempty"`
	Options   map[string]string `json:"Options,omitempty"`
	CreatedAt time.Time         `json:"CreatedAt"`
}

type entry struct {
	name string
	meta metadata
	// refs are the IDs of the containers using the volume.
	refs map[string]struct{}
	// active are the IDs of the running containers (or views) that have it
	// mounted.
	active map[string]struct{}
}

func (e *entry) anonymous() bool {
	_, ok := e.meta.Labels[AnonymousLabel]
	return ok
}

// Store keeps the volumes under one directory.
type Store struct {
	root string
	log  *slog.Logger

	// mu guards vols, every entry's refs and active, and publish; it is
	// held across the filesystem work of create, remove, mount and unmount
	// so that a name is never half made.
	mu      sync.Mutex
	vols    map[string]*entry
	publish Publisher
}

// New opens (creating it if needed) the volume directory root, normally
// <data-root>/volumes, and loads the volumes in it.
func New(root string, log *slog.Logger) (*Store, error) {
	if err := os.MkdirAll(root, 0o701); err != nil {
		return nil, err
	}
	s := &Store{root: root, log: log, vols: map[string]*entry{}}
	dirents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, d := range dirents {
		if !d.IsDir() || ValidateName(d.Name()) != nil {
			continue
		}
		e, err := s.load(d.Name())
		if err != nil {
			log.Warn("skipping volume", "name", d.Name(), "err", err)
			continue
		}
		s.vols[e.name] = e
	}
	return s, nil
}

func (s *Store) load(name string) (*entry, error) {
	e := &entry{name: name, refs: map[string]struct{}{}}
	b, err := os.ReadFile(filepath.Join(s.root, name, metadataFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fi, err := os.Stat(filepath.Join(s.root, name, dataDir))
		if err != nil {
			return nil, err
		}
		e.meta = metadata{Driver: DriverLocal, CreatedAt: fi.ModTime()}
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, &e.meta); err != nil {
			return nil, fmt.Errorf("%s: %w", metadataFile, err)
		}
	}
	return e, nil
}

// notFound is Docker's error for a missing volume.
func notFound(name string) error {
	return fmt.Errorf("get %s: %w", name, errdefs.ErrNotFound.WithMessage("no such volume"))
}

// Create makes a volume, or returns the existing one of that name as Docker
// does. An empty name makes an anonymous volume.
func (s *Store) Create(_ context.Context, req volume.CreateRequest) (volume.Volume, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.createLocked(req)
	if err != nil {
		return volume.Volume{}, err
	}
	return s.toAPI(e, false), nil
}

func (s *Store) createLocked(req volume.CreateRequest) (*entry, error) {
	name := req.Name
	labels := maps.Clone(req.Labels)
	if name == "" {
		name = generateName()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[AnonymousLabel] = ""
	}
	wrap := func(err error) error { return fmt.Errorf("create %s: %w", name, err) }
	if err := ValidateName(name); err != nil {
		return nil, wrap(err)
	}
	driver := req.Driver
	if driver == "" {
		driver = DriverLocal
	}
	if e, ok := s.vols[name]; ok {
		if driver != e.meta.Driver {
			return nil, wrap(errdefs.ErrConflict.WithMessage(fmt.Sprintf("a volume with the name %s already exists with driver %q", name, e.meta.Driver)))
		}
		return e, nil
	}
	if driver != DriverLocal {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("error looking up volume plugin %s: plugin %q not found", driver, driver))
	}
	if req.ClusterVolumeSpec != nil {
		return nil, errdefs.ErrNotImplemented.WithMessage("cluster volumes are not supported by Berth yet")
	}
	if err := checkDriverOpts(req.DriverOpts); err != nil {
		return nil, wrap(err)
	}
	e := &entry{name: name, refs: map[string]struct{}{}, meta: metadata{
		Driver: driver, Labels: labels, Options: maps.Clone(req.DriverOpts), CreatedAt: time.Now().UTC().Truncate(time.Second),
	}}
	dir := filepath.Join(s.root, name)
	if err := os.MkdirAll(filepath.Join(dir, dataDir), 0o755); err != nil {
		return nil, wrap(err)
	}
	b, err := json.Marshal(e.meta)
	if err == nil {
		err = atomicfile.Write(filepath.Join(dir, metadataFile), b, 0o600)
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, wrap(err)
	}
	s.vols[name] = e
	s.emitLocked(eventtypes.ActionCreate, name, map[string]string{"driver": driver})
	return e, nil
}

// Inspect returns the volume called name.
func (s *Store) Inspect(_ context.Context, name string) (volume.Volume, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.vols[name]
	if !ok {
		return volume.Volume{}, notFound(name)
	}
	return s.toAPI(e, false), nil
}

// Mountpoint is where the content of the volume called name lives.
func (s *Store) Mountpoint(name string) string { return filepath.Join(s.root, name, dataDir) }

func (s *Store) toAPI(e *entry, usage bool) volume.Volume {
	v := volume.Volume{
		Name:       e.name,
		Driver:     e.meta.Driver,
		Mountpoint: s.Mountpoint(e.name),
		CreatedAt:  e.meta.CreatedAt.Format(time.RFC3339),
		Labels:     maps.Clone(e.meta.Labels),
		Options:    maps.Clone(e.meta.Options),
		Scope:      "local",
	}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	if usage {
		v.UsageData = &volume.UsageData{RefCount: int64(len(e.refs)), Size: dirSize(v.Mountpoint)}
	}
	return v
}

// dirSize is the apparent size of the files under dir; -1 if it cannot be read.
func dirSize(dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	if err != nil {
		return -1
	}
	return n
}

// Remove deletes the volume called name. A volume in use is a conflict even
// with force; force only makes a missing volume no error.
func (s *Store) Remove(_ context.Context, name string, force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.vols[name]
	if !ok {
		if force {
			return nil
		}
		return notFound(name)
	}
	return s.removeLocked(e)
}

func (s *Store) removeLocked(e *entry) error {
	if len(e.refs) > 0 {
		ids := slices.Sorted(maps.Keys(e.refs))
		return fmt.Errorf("remove %s: %w", e.name, errdefs.ErrConflict.WithMessage(fmt.Sprintf("volume is in use - [%s]", strings.Join(ids, ", "))))
	}
	if e.needsMount() { // left mounted by a crash of the daemon
		if err := s.unmountFS(e); err != nil {
			return fmt.Errorf("remove %s: %w", e.name, err)
		}
	}
	// The metadata goes first: a crash midway leaves a plain directory that
	// loads as a volume again rather than metadata without data.
	dir := filepath.Join(s.root, e.name)
	if err := os.Remove(filepath.Join(dir, metadataFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", e.name, err)
	}
	delete(s.vols, e.name)
	s.emitLocked(eventtypes.ActionDestroy, e.name, map[string]string{"driver": e.meta.Driver})
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", e.name, err)
	}
	return nil
}

// Ref records that container id uses the volume called name.
func (s *Store) Ref(name, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.vols[name]
	if !ok {
		return notFound(name)
	}
	e.refs[id] = struct{}{}
	return nil
}

// Unref drops container id's use of the volume called name.
func (s *Store) Unref(name, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.vols[name]; ok {
		delete(e.refs, id)
	}
}

// sortedLocked returns the volumes ordered by name.
func (s *Store) sortedLocked() []*entry {
	es := slices.Collect(maps.Values(s.vols))
	sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name })
	return es
}
