package container

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/berth/berth/atomicfile"
	"github.com/containerd/errdefs"
)

// Store indexes containers by ID and name and persists their records.
type Store struct {
	root string

	// mu guards byID and byName.
	mu     sync.RWMutex
	byID   map[string]*Container
	byName map[string]string // name (with "/") -> ID
}

var validName = regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// NewStore loads every container record under root.
func NewStore(root string) (*Store, error) {
	if err := os.MkdirAll(root, 0o710); err != nil {
		return nil, err
	}
	s := &Store{root: root, byID: map[string]*Container{}, byName: map[string]string{}}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		c, err := s.load(e.Name())
		if err != nil {
			// A directory without a complete record is a create that did
			// not finish; it holds nothing worth keeping.
			os.RemoveAll(filepath.Join(root, e.Name()))
			continue
		}
		s.byID[c.ID] = c
		s.byName[c.Name] = c.ID
	}
	return s, nil
}

func (s *Store) load(id string) (*Container, error) {
	b, err := os.ReadFile(filepath.Join(s.root, id, "config.v2.json"))
	if err != nil {
		return nil, err
	}
	var c Container
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	if c.ID != id {
		return nil, fmt.Errorf("record of %s names %s", id, c.ID)
	}
	return &c, nil
}

// Dir is the directory of a container's files.
func (s *Store) Dir(id string) string { return filepath.Join(s.root, id) }

// ValidateName checks a user-given name (Docker's rule).
func ValidateName(name string) error {
	if !validName.MatchString(name) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", strings.TrimPrefix(name, "/")))
	}
	return nil
}

// Add reserves c's name, creates its directory and saves its record. A
// container without a name gets a free random one, as with Docker.
func (s *Store) Add(c *Container) error {
	s.mu.Lock()
	if c.Name == "" {
		c.Name = s.freeNameLocked(c.ID)
	}
	if holder, ok := s.byName[c.Name]; ok {
		s.mu.Unlock()
		return nameConflict(c.Name, holder)
	}
	s.byName[c.Name] = c.ID
	s.byID[c.ID] = c
	s.mu.Unlock()
	if err := os.MkdirAll(s.Dir(c.ID), 0o710); err != nil {
		s.drop(c)
		return err
	}
	if err := s.Save(c); err != nil {
		s.drop(c)
		os.RemoveAll(s.Dir(c.ID))
		return err
	}
	return nil
}

// freeNameLocked is a random name no container holds: Docker's tries (a
// digit appended after the first), then the short ID.
func (s *Store) freeNameLocked(id string) string {
	for attempt := range 6 {
		if name := GenerateName(attempt); s.byName[name] == "" {
			return name
		}
	}
	return "/" + id[:12]
}

func nameConflict(name, holder string) error {
	return errdefs.ErrConflict.WithMessage(fmt.Sprintf("Conflict. The container name %q is already in use by container %q. You have to remove (or rename) that container to be able to reuse that name.", name, holder))
}

func (s *Store) drop(c *Container) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, c.ID)
	if s.byName[c.Name] == c.ID {
		delete(s.byName, c.Name)
	}
}

// Save writes c's record atomically. The caller holds c's lock or owns c.
func (s *Store) Save(c *Container) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(s.Dir(c.ID), "config.v2.json"), b, 0o600)
}

// Delete forgets c and removes its directory.
func (s *Store) Delete(c *Container) error {
	s.drop(c)
	return os.RemoveAll(s.Dir(c.ID))
}

// Rename gives c a new name; the old one becomes free.
func (s *Store) Rename(c *Container, newName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if holder, ok := s.byName[newName]; ok {
		return nameConflict(newName, holder)
	}
	c.Lock()
	old := c.Name
	c.Name = newName
	err := s.Save(c)
	if err != nil {
		c.Name = old
	}
	c.Unlock()
	if err != nil {
		return err
	}
	delete(s.byName, old)
	s.byName[newName] = c.ID
	return nil
}

// Get finds a container by full ID, name, or unique ID prefix, as Docker does.
func (s *Store) Get(ref string) (*Container, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if ref == "" {
		return nil, noSuch(ref)
	}
	if c, ok := s.byID[ref]; ok {
		return c, nil
	}
	if id, ok := s.byName["/"+strings.TrimPrefix(ref, "/")]; ok {
		return s.byID[id], nil
	}
	var found *Container
	for id, c := range s.byID {
		if strings.HasPrefix(id, ref) {
			if found != nil {
				return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("multiple IDs found with provided prefix: %s", ref))
			}
			found = c
		}
	}
	if found == nil {
		return nil, noSuch(ref)
	}
	return found, nil
}

func noSuch(ref string) error {
	return errdefs.ErrNotFound.WithMessage("No such container: " + ref)
}

// List returns every container, newest first.
func (s *Store) List() []*Container {
	s.mu.RLock()
	all := make([]*Container, 0, len(s.byID))
	for _, c := range s.byID {
		all = append(all, c)
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b *Container) int { return b.Created.Compare(a.Created) })
	return all
}
