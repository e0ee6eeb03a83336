package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// loadItem is one image found in an archive.
type loadItem struct {
	config []byte // as found: its digest is the image ID
	id     digest.Digest
	cfg    *imageConfig
	layers []string // archive paths of the layer blobs, one per diff ID
	tags   []reference.NamedTagged
	parent digest.Digest // docker-archive's Parent, for images built locally
}

// manifestItem is an entry of a docker-archive's manifest.json.
type manifestItem struct {
	Config   string
	RepoTags []string
	Layers   []string
	Parent   digest.Digest `json:",omitempty"`
}

// readArchive finds the images of an unpacked archive: a docker-archive
// (manifest.json, any Docker version's layout) or else an OCI image layout.
func readArchive(root *os.Root) ([]*loadItem, error) {
	b, err := root.ReadFile("manifest.json")
	if err == nil {
		return readDockerManifest(root, b)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, invalidArchive(err)
	}
	b, err = root.ReadFile(ocispec.ImageIndexFile)
	if err == nil {
		return readOCIIndex(root, b)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, invalidArchive(err)
	}
	return nil, invalidArchive(errors.New("no manifest.json or index.json in the archive"))
}

func readDockerManifest(root *os.Root, b []byte) ([]*loadItem, error) {
	var manifest []manifestItem
	if err := json.Unmarshal(b, &manifest); err != nil {
		return nil, invalidArchive(fmt.Errorf("manifest.json: %w", err))
	}
	if manifest == nil {
		return nil, invalidArchive(errors.New("invalid manifest, manifest cannot be null (but can be [])"))
	}
	var items []*loadItem
	for _, m := range manifest {
		config, err := readArchiveFile(root, m.Config)
		if err != nil {
			return nil, err
		}
		it, err := newLoadItem(config)
		if err != nil {
			return nil, err
		}
		if it.layers, err = archivePaths(m.Layers); err != nil {
			return nil, err
		}
		for _, s := range m.RepoTags {
			tag, err := parseLoadTag(s)
			if err != nil {
				return nil, err
			}
			it.tags = append(it.tags, tag)
		}
		it.parent = m.Parent
		items = append(items, it)
	}
	return items, nil
}

func newLoadItem(config []byte) (*loadItem, error) {
	cfg, err := parseConfig(config)
	if err != nil {
		return nil, err
	}
	return &loadItem{config: config, id: digest.FromBytes(config), cfg: cfg}, nil
}

func parseLoadTag(s string) (reference.NamedTagged, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, invalidArchive(fmt.Errorf("tag %q: %w", s, err))
	}
	tagged, ok := named.(reference.NamedTagged)
	if !ok || isCanonical(named) {
		return nil, invalidArchive(fmt.Errorf("invalid tag %q", s))
	}
	return tagged, nil
}

// archivePath checks that a path named by the archive stays inside it.
func archivePath(p string) (string, error) {
	clean := path.Clean(p)
	if p == "" || !filepath.IsLocal(clean) {
		return "", invalidArchive(fmt.Errorf("invalid path %q: outside the archive", p))
	}
	return clean, nil
}

func archivePaths(ps []string) ([]string, error) {
	out := make([]string, len(ps))
	for i, p := range ps {
		var err error
		if out[i], err = archivePath(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readArchiveFile(root *os.Root, p string) ([]byte, error) {
	clean, err := archivePath(p)
	if err != nil {
		return nil, err
	}
	b, err := root.ReadFile(clean)
	if err != nil {
		return nil, invalidArchive(err)
	}
	return b, nil
}

// blobPath is where an OCI layout keeps the blob d.
func blobPath(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", invalidArchive(fmt.Errorf("digest %q: %w", d, err))
	}
	return path.Join(ocispec.ImageBlobsDir, d.Algorithm().String(), d.Encoded()), nil
}

// readBlob reads the blob desc points at and checks its digest.
func readBlob(root *os.Root, desc ocispec.Descriptor) ([]byte, error) {
	p, err := blobPath(desc.Digest)
	if err != nil {
		return nil, err
	}
	b, err := readArchiveFile(root, p)
	if err != nil {
		return nil, err
	}
	if got := desc.Digest.Algorithm().FromBytes(b); got != desc.Digest {
		return nil, invalidArchive(fmt.Errorf("blob %s has digest %s", desc.Digest, got))
	}
	return b, nil
}

// readOCIIndex reads the images of an OCI image layout: one per manifest
// (for an index, the one for this platform), tagged from the
// io.containerd.image.name or org.opencontainers.image.ref.name annotations.
func readOCIIndex(root *os.Root, b []byte) ([]*loadItem, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, invalidArchive(fmt.Errorf("index.json: %w", err))
	}
	byManifest := map[digest.Digest]*loadItem{}
	var items []*loadItem
	for _, desc := range idx.Manifests {
		m, err := platformManifest(root, desc, 0)
		if err != nil {
			return nil, err
		}
		if m == nil {
			continue // not an image for this platform
		}
		it := byManifest[m.digest]
		if it == nil {
			if it, err = ociItem(root, m.Manifest); err != nil {
				return nil, err
			}
			byManifest[m.digest] = it
			items = append(items, it)
		}
		if tag := ociTag(desc.Annotations); tag != nil {
			it.tags = append(it.tags, tag)
		}
	}
	return items, nil
}

type manifestOf struct {
	ocispec.Manifest
	digest digest.Digest
}

// platformManifest returns the image manifest desc leads to for this
// platform, or nil; indexes nest at most a few levels.
func platformManifest(root *os.Root, desc ocispec.Descriptor, depth int) (*manifestOf, error) {
	if depth > 4 {
		return nil, invalidArchive(errors.New("image indexes nested too deep"))
	}
	if p := desc.Platform; p != nil && (p.OS != runtime.GOOS || p.Architecture != runtime.GOARCH) {
		return nil, nil
	}
	b, err := readBlob(root, desc)
	if err != nil {
		return nil, err
	}
	var blob struct {
		ocispec.Manifest
		Manifests []ocispec.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(b, &blob); err != nil {
		return nil, invalidArchive(fmt.Errorf("manifest %s: %w", desc.Digest, err))
	}
	if blob.Config.Digest != "" {
		return &manifestOf{Manifest: blob.Manifest, digest: desc.Digest}, nil
	}
	for _, child := range blob.Manifests {
		m, err := platformManifest(root, child, depth+1)
		if m != nil || err != nil {
			return m, err
		}
	}
	return nil, nil
}

func ociItem(root *os.Root, m ocispec.Manifest) (*loadItem, error) {
	config, err := readBlob(root, m.Config)
	if err != nil {
		return nil, err
	}
	it, err := newLoadItem(config)
	if err != nil {
		return nil, err
	}
	for _, l := range m.Layers {
		p, err := blobPath(l.Digest)
		if err != nil {
			return nil, err
		}
		it.layers = append(it.layers, p)
	}
	return it, nil
}

// ociTag is the tag a manifest descriptor's annotations give, or nil.
func ociTag(annotations map[string]string) reference.NamedTagged {
	name := annotations["io.containerd.image.name"]
	if name == "" {
		// A bare tag ("latest") names no repository; only full references count.
		if n := annotations[ocispec.AnnotationRefName]; strings.ContainsAny(n, ":/") {
			name = n
		}
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil || isCanonical(named) {
		return nil
	}
	tagged, _ := reference.TagNameOnly(named).(reference.NamedTagged)
	return tagged
}
