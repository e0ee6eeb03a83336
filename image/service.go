package image

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/berth/berth/content"
	"github.com/berth/berth/events"
	"github.com/berth/berth/layer"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
)

// ContainerChecker tells whether a container was created from imageID: it
// returns one such container's ID ("" for none), preferring a running one,
// and whether that container is running.
type ContainerChecker func(imageID digest.Digest) (containerID string, running bool)

// Service is the image service. It is safe for concurrent use.
type Service struct {
	root    string
	layers  *layer.Store
	content *content.Store
	blobs   *blobStore // compressed layers and manifests of pulls and pushes
	bus     *events.Bus
	log     *slog.Logger
	pruning atomic.Bool

	// mu serialises changes: it guards st (replaced, never mutated), leases,
	// containers, and the writes of images.json and layer removals.
	mu         sync.Mutex
	st         atomic.Pointer[state]
	leases     map[digest.Digest]int // layers held by loads and imports in flight
	containers ContainerChecker
}

// NewService opens the image service under root (<data-root>/image) and
// repairs what a crash left: staging dirs, configs and layers no image
// references, images whose config or layers are gone.
func NewService(root string, layers *layer.Store, bus *events.Bus, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{root: root, layers: layers, bus: bus, log: log, leases: map[digest.Digest]int{}}
	if err := s.cleanTemp(); err != nil {
		return nil, err
	}
	cs, err := content.NewStore(filepath.Join(root, "content"), log)
	if err != nil {
		return nil, err
	}
	s.content = cs
	if err := s.recover(); err != nil {
		return nil, fmt.Errorf("image service: %w", err)
	}
	if s.blobs, err = openBlobStore(root, s.snapshot(), log); err != nil {
		return nil, fmt.Errorf("image service: %w", err)
	}
	return s, nil
}

func (s *Service) indexPath() string { return filepath.Join(s.root, "images.json") }
func (s *Service) tmpDir() string    { return filepath.Join(s.root, "tmp") }

// cleanTemp empties tmp/ and removes interrupted index writes.
func (s *Service) cleanTemp() error {
	if err := os.RemoveAll(s.tmpDir()); err != nil {
		return fmt.Errorf("image service: %w", err)
	}
	if err := os.MkdirAll(s.tmpDir(), 0o700); err != nil {
		return fmt.Errorf("image service: %w", err)
	}
	stale, _ := filepath.Glob(filepath.Join(s.root, ".images.json-*"))
	for _, f := range stale {
		os.Remove(f)
	}
	return nil
}

// tempDir makes a staging directory under tmp/.
func (s *Service) tempDir(prefix string) (string, error) {
	return os.MkdirTemp(s.tmpDir(), prefix)
}

// snapshot returns the current state; it is never modified.
func (s *Service) snapshot() *state { return s.st.Load() }

// commitLocked persists next and installs it with the added records.
// s.mu must be held.
func (s *Service) commitLocked(next *index, added ...*record) error {
	if err := next.write(s.indexPath()); err != nil {
		return fmt.Errorf("image service: saving index: %w", err)
	}
	s.st.Store(s.snapshot().with(next, added...))
	if s.blobs != nil {
		s.blobs.prune(s.snapshot()) // blobs of layers no image has any more
	}
	return nil
}

// Count returns the number of images.
func (s *Service) Count() int { return len(s.snapshot().records) }

// SetContainerChecker installs the hook that delete uses to refuse removing
// images that containers use; nil means there are no containers.
func (s *Service) SetContainerChecker(fn ContainerChecker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.containers = fn
}

// containerUsing is the checker's answer, or none without a checker.
// s.mu must be held.
func (s *Service) containerUsingLocked(id digest.Digest) (string, bool) {
	if s.containers == nil {
		return "", false
	}
	return s.containers(id)
}

// publish sends an image event with Docker's attributes: the image's
// labels plus name.
func (s *Service) publish(action eventtypes.Action, id digest.Digest, name string, labels map[string]string) {
	if s.bus == nil {
		return
	}
	attrs := map[string]string{}
	for k, v := range labels {
		attrs[k] = v
	}
	if name != "" {
		attrs["name"] = name
	}
	s.bus.Publish(eventtypes.ImageEventType, action, id.String(), attrs)
}
