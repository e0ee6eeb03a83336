package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"time"

	"github.com/berth/berth/atomicfile"
	"github.com/opencontainers/go-digest"
)

// index is the persisted part of the service: which images exist and the
// references that name them. It is treated as immutable once installed;
// changes are made on a clone and committed whole.
type index struct {
	Images     map[digest.Digest]imageMeta `json:"images"`
	References map[string]digest.Digest    `json:"references"` // normalised reference -> image ID
}

// imageMeta is what Docker keeps about an image beside its config.
type imageMeta struct {
	Parent      digest.Digest `json:"parent,omitempty"` // for imports and commits of local images
	LastTagTime time.Time     `json:"lastTagTime,omitzero"`
}

func newIndex() *index {
	return &index{Images: map[digest.Digest]imageMeta{}, References: map[string]digest.Digest{}}
}

func readIndex(path string) (*index, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newIndex(), nil
	}
	if err != nil {
		return nil, err
	}
	ix := newIndex()
	if err := json.Unmarshal(b, ix); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if ix.Images == nil {
		ix.Images = map[digest.Digest]imageMeta{}
	}
	if ix.References == nil {
		ix.References = map[string]digest.Digest{}
	}
	return ix, nil
}

func (ix *index) clone() *index {
	return &index{Images: maps.Clone(ix.Images), References: maps.Clone(ix.References)}
}

// write replaces the file at path with ix atomically.
func (ix *index) write(path string) error {
	b, err := json.Marshal(ix)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o600)
}

// deleteImage removes id and every reference to it.
func (ix *index) deleteImage(id digest.Digest) {
	delete(ix.Images, id)
	for ref, target := range ix.References {
		if target == id {
			delete(ix.References, ref)
		}
	}
}
