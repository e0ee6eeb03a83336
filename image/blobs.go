package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/berth/berth/atomicfile"
	"github.com/berth/berth/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// blobStore keeps what pull and push need beyond images and layers: the
// compressed layer blobs and the image manifests as a registry served them
// (so that a push sends the same bytes, and the manifest digest a pull
// reported), and what is known of each blob: the layer it unpacks to and
// the repositories that have it (for cross-repository mounts).
//
// Layout under the service root:
//
//	distribution/blobs/sha256/<hex>  compressed layers and manifests (package content)
//	distribution/ingest/             blobs being written
//	distribution.json                distMeta, replaced atomically
//
// A pull or push writes distribution.json before images.json, so a crash
// leaves at worst metadata of images that do not exist. The metadata of an
// image goes when the image goes; a blob goes when no image has its layer.
// Opening the store drops both, and any blob file the metadata does not
// list (downloads of pulls that did not finish).
type blobStore struct {
	content *content.Store
	path    string
	log     *slog.Logger

	// mu guards meta (replaced, never mutated) and the writes of
	// distribution.json.
	mu   sync.Mutex
	meta *distMeta
}

// distMeta is the persisted metadata of the blob store.
type distMeta struct {
	Blobs     map[digest.Digest]blobInfo             `json:"blobs"`     // compressed digest -> what it is
	Manifests map[digest.Digest][]ocispec.Descriptor `json:"manifests"` // image ID -> manifests it was pulled or pushed as
}

// blobInfo describes a compressed layer blob, whether or not its bytes are
// here (a pull does not fetch the layers it has already).
type blobInfo struct {
	DiffID    digest.Digest `json:"diffID"`
	MediaType string        `json:"mediaType"`
	Size      int64         `json:"size"`
	Repos     []string      `json:"repos,omitempty"` // repositories known to have it, most recent last
	URLs      []string      `json:"urls,omitempty"`  // where a non-distributable layer is fetched from
}

// maxBlobRepos bounds the mount sources remembered per blob.
const maxBlobRepos = 5

func (m *distMeta) clone() *distMeta {
	c := &distMeta{Blobs: maps.Clone(m.Blobs), Manifests: maps.Clone(m.Manifests)}
	for d, b := range c.Blobs {
		b.Repos, b.URLs = slices.Clone(b.Repos), slices.Clone(b.URLs)
		c.Blobs[d] = b
	}
	for id, ms := range c.Manifests {
		c.Manifests[id] = slices.Clone(ms)
	}
	return c
}

// openBlobStore opens the blob store of the service rooted at root and
// makes it consistent with the images of st.
func openBlobStore(root string, st *state, log *slog.Logger) (*blobStore, error) {
	cs, err := content.NewStore(filepath.Join(root, "distribution"), log)
	if err != nil {
		return nil, err
	}
	b := &blobStore{content: cs, path: filepath.Join(root, "distribution.json"), log: log, meta: &distMeta{}}
	raw, err := os.ReadFile(b.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("distribution metadata: %w", err)
	default:
		if err := json.Unmarshal(raw, b.meta); err != nil {
			log.Warn("discarding unreadable distribution metadata", "err", err)
			b.meta = &distMeta{}
		}
	}
	if b.meta.Blobs == nil {
		b.meta.Blobs = map[digest.Digest]blobInfo{}
	}
	if b.meta.Manifests == nil {
		b.meta.Manifests = map[digest.Digest][]ocispec.Descriptor{}
	}
	b.prune(st)
	return b, b.removeStray()
}

func (b *blobStore) snapshot() *distMeta {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.meta
}

// update applies fn to a copy of the metadata, writes it and installs it.
func (b *blobStore) update(fn func(m *distMeta)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	next := b.meta.clone()
	fn(next)
	return b.installLocked(next)
}

func (b *blobStore) installLocked(next *distMeta) error {
	raw, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(b.path, raw, 0o600); err != nil {
		return fmt.Errorf("saving distribution metadata: %w", err)
	}
	b.meta = next
	return nil
}

// prune forgets the manifests of images st does not have and the blobs of
// layers none of its images uses, and deletes their files.
func (b *blobStore) prune(st *state) {
	b.mu.Lock()
	defer b.mu.Unlock()
	images, blobs := b.meta.stale(st)
	if len(images) == 0 && len(blobs) == 0 {
		return
	}
	next := b.meta.clone()
	drop := blobs
	for _, id := range images {
		for _, m := range next.Manifests[id] {
			drop = append(drop, m.Digest)
		}
		delete(next.Manifests, id)
	}
	for _, d := range blobs {
		delete(next.Blobs, d)
	}
	if err := b.installLocked(next); err != nil {
		b.log.Warn("pruning distribution metadata", "err", err)
		return
	}
	kept := next.manifestDigests()
	for _, d := range drop {
		if kept[d] {
			continue // another image has the same manifest
		}
		if err := b.content.Delete(d); err != nil && !errdefs.IsNotFound(err) {
			b.log.Warn("removing blob", "digest", d, "err", err)
		}
	}
}

// stale lists the images m has manifests of that st lacks, and the blobs
// of layers no image of st has.
func (m *distMeta) stale(st *state) (images, blobs []digest.Digest) {
	used := map[digest.Digest]bool{}
	for _, r := range st.records {
		for _, d := range r.config.RootFS.DiffIDs {
			used[d] = true
		}
	}
	for id := range m.Manifests {
		if _, ok := st.records[id]; !ok {
			images = append(images, id)
		}
	}
	for d, info := range m.Blobs {
		if !used[info.DiffID] {
			blobs = append(blobs, d)
		}
	}
	return images, blobs
}

// manifestDigests is the set of manifests some image has.
func (m *distMeta) manifestDigests() map[digest.Digest]bool {
	set := map[digest.Digest]bool{}
	for _, ms := range m.Manifests {
		for _, d := range ms {
			set[d.Digest] = true
		}
	}
	return set
}

// removeStray deletes blob files the metadata does not list.
func (b *blobStore) removeStray() error {
	m := b.snapshot()
	manifests := m.manifestDigests()
	return b.content.Walk(func(info content.Info) error {
		if _, ok := m.Blobs[info.Digest]; ok || manifests[info.Digest] {
			return nil
		}
		b.log.Info("removing blob no image uses", "digest", info.Digest)
		return b.content.Delete(info.Digest)
	})
}

// dropUnlisted deletes those of the blobs ds that the metadata neither
// lists nor names as a manifest: what a failed pull fetched.
func (b *blobStore) dropUnlisted(ds []digest.Digest) {
	b.mu.Lock()
	defer b.mu.Unlock()
	manifests := b.meta.manifestDigests()
	for _, d := range ds {
		if _, ok := b.meta.Blobs[d]; ok || manifests[d] {
			continue
		}
		if err := b.content.Delete(d); err != nil && !errdefs.IsNotFound(err) {
			b.log.Warn("removing blob", "digest", d, "err", err)
		}
	}
}

// has reports whether the bytes of blob d are here.
func (b *blobStore) has(d digest.Digest) bool {
	_, err := b.content.Info(d)
	return err == nil
}

// addImage records that image id was pulled or pushed as manifest m with
// the given layer blobs, and that repo has them.
func (m *distMeta) addImage(id digest.Digest, manifest ocispec.Descriptor, layers []ocispec.Descriptor, diffIDs []digest.Digest, repo string) {
	manifest = ocispec.Descriptor{MediaType: manifest.MediaType, Digest: manifest.Digest, Size: manifest.Size}
	if !slices.ContainsFunc(m.Manifests[id], func(d ocispec.Descriptor) bool { return d.Digest == manifest.Digest }) {
		m.Manifests[id] = append(m.Manifests[id], manifest)
	}
	for i, l := range layers {
		m.addBlob(l, diffIDs[i], repo)
	}
}

// addBlob records blob l of layer diffID, and that repo (if any) has it.
func (m *distMeta) addBlob(l ocispec.Descriptor, diffID digest.Digest, repo string) {
	info := m.Blobs[l.Digest]
	if len(l.URLs) == 0 && len(info.URLs) > 0 {
		// A foreign layer pushed as an ordinary one (allow-nondistributable-
		// artifacts) stays foreign for the registries that do not take it.
		l.MediaType, l.URLs = info.MediaType, info.URLs
	}
	info.DiffID, info.MediaType, info.Size, info.URLs = diffID, l.MediaType, l.Size, l.URLs
	if repo != "" {
		info.Repos = append(slices.DeleteFunc(info.Repos, func(r string) bool { return r == repo }), repo)
		if len(info.Repos) > maxBlobRepos {
			info.Repos = info.Repos[len(info.Repos)-maxBlobRepos:]
		}
	}
	m.Blobs[l.Digest] = info
}
