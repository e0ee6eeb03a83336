package image

import (
	"slices"

	"github.com/berth/berth/content"
	"github.com/berth/berth/layer"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// recover loads the index and makes the store consistent with it: images
// whose config or layers are missing are dropped, configs and layers that
// no image references are removed. It runs before the service is shared.
func (s *Service) recover() error {
	ix, err := readIndex(s.indexPath())
	if err != nil {
		return err
	}
	records := map[digest.Digest]*record{}
	dirty := false
	for id := range ix.Images {
		r, err := s.readRecord(id)
		if err != nil {
			s.log.Warn("dropping image with missing or broken content", "id", id, "err", err)
			ix.deleteImage(id)
			dirty = true
			continue
		}
		records[id] = r
	}
	for ref, id := range ix.References {
		if _, ok := ix.Images[id]; !ok {
			delete(ix.References, ref)
			dirty = true
		}
	}
	if dirty {
		if err := ix.write(s.indexPath()); err != nil {
			return err
		}
	}
	s.st.Store(newState(ix, records))
	if err := s.removeStrayConfigs(); err != nil {
		return err
	}
	all, err := s.layers.List()
	if err != nil {
		return err
	}
	var chains []digest.Digest
	for _, l := range all {
		chains = append(chains, l.ChainID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.removeLayersLocked(chains) {
		s.log.Info("removed layer no image uses", "layer", l.ChainID)
	}
	return nil
}

func (s *Service) readRecord(id digest.Digest) (*record, error) {
	b, err := s.content.Get(id)
	if err != nil {
		return nil, err
	}
	c, err := parseConfig(b)
	if err != nil {
		return nil, err
	}
	return newRecord(s.layers, id, c)
}

// removeStrayConfigs deletes config blobs of images not in the index.
func (s *Service) removeStrayConfigs() error {
	st := s.snapshot()
	return s.content.Walk(func(info content.Info) error {
		if _, ok := st.records[info.Digest]; !ok {
			s.log.Info("removing config of an image not in the index", "id", info.Digest)
			return s.content.Delete(info.Digest)
		}
		return nil
	})
}

// leaseLocked marks layers as used by an operation in flight, so that no
// concurrent delete removes them before the operation commits its images.
// s.mu must be held.
func (s *Service) leaseLocked(chain ...digest.Digest) {
	for _, c := range chain {
		s.leases[c]++
	}
}

func (s *Service) releaseLocked(chain ...digest.Digest) {
	for _, c := range chain {
		if s.leases[c]--; s.leases[c] <= 0 {
			delete(s.leases, c)
		}
	}
}

// removeLayersLocked removes those of candidates that no image and no
// operation in flight uses, and returns them. Candidates are tried last
// first (a chain lists parents first), again while that makes progress;
// layers still parents of others stay. s.mu must be held.
func (s *Service) removeLayersLocked(candidates []digest.Digest) []layer.Layer {
	used := s.snapshot().referencedLayers()
	var pending []digest.Digest
	for _, c := range slices.Backward(candidates) {
		if c != "" && !used[c] && s.leases[c] == 0 {
			used[c] = true // once only
			pending = append(pending, c)
		}
	}
	var removed []layer.Layer
	for progress := true; progress && len(pending) > 0; {
		progress = false
		var retry []digest.Digest
		for _, c := range pending {
			l, err := s.layers.Get(c)
			if err == nil {
				err = s.layers.Remove(c)
			}
			switch {
			case errdefs.IsConflict(err):
				retry = append(retry, c) // a child is still there
				continue
			case err == nil:
				removed = append(removed, l)
			case !errdefs.IsNotFound(err):
				s.log.Warn("removing layer", "layer", c, "err", err)
			}
			progress = true
		}
		pending = retry
	}
	return removed
}
