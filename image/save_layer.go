package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// saveImage writes the config, layers and manifest of img and records its
// manifest.json, index.json and repositories entries.
func (sv *saver) saveImage(ctx context.Context, img *saveImage, sel []*saveImage) error {
	r := sv.st.records[img.id]
	config, err := sv.s.content.Get(img.id)
	if err != nil {
		return err
	}
	if err := sv.writeFile(blobName(img.id), config); err != nil {
		return err
	}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: img.id, Size: int64(len(config))},
		Layers:    []ocispec.Descriptor{},
	}
	item := manifestItem{Config: blobName(img.id), RepoTags: []string{}, Layers: []string{}}
	for i, diffID := range r.config.RootFS.DiffIDs {
		size, err := sv.writeLayer(ctx, r.chain[i], diffID)
		if err != nil {
			return err
		}
		m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: diffID, Size: size})
		item.Layers = append(item.Layers, blobName(diffID))
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return err
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(mb), Size: int64(len(mb))}
	if err := sv.writeFile(blobName(desc.Digest), mb); err != nil {
		return err
	}
	sv.addNames(img, r, desc, &item)
	if parent := sv.st.index.Images[img.id].Parent; parent != "" {
		for _, other := range sel {
			if other.id == parent {
				item.Parent = parent
			}
		}
	}
	sv.manifest = append(sv.manifest, item)
	return nil
}

// addNames records img's tags in manifest.json's item, index.json and
// repositories, as Docker does.
func (sv *saver) addNames(img *saveImage, r *record, desc ocispec.Descriptor, item *manifestItem) {
	if len(img.tags) == 0 {
		sv.index = append(sv.index, desc)
	}
	for _, tag := range img.tags {
		item.RepoTags = append(item.RepoTags, reference.FamiliarString(tag))
		d := desc
		d.Annotations = map[string]string{"io.containerd.image.name": tag.String(), ocispec.AnnotationRefName: tag.Tag()}
		sv.index = append(sv.index, d)
		name := reference.FamiliarName(tag)
		if sv.repos[name] == nil {
			sv.repos[name] = map[string]string{}
		}
		if n := len(r.config.RootFS.DiffIDs); n > 0 {
			sv.repos[name][tag.Tag()] = r.config.RootFS.DiffIDs[n-1].Encoded()
		}
	}
}

// writeLayer writes the layer's uncompressed tar as blobs/sha256/<diff ID>
// once per archive, and returns its size. The tar is streamed twice from
// the layer store (to learn its size, then to write it) and checked against
// diffID both times, rather than staged on disk.
func (sv *saver) writeLayer(ctx context.Context, chain, diffID digest.Digest) (int64, error) {
	if size, ok := sv.layerSizes[diffID]; ok {
		return size, nil
	}
	size, err := sv.copyLayer(ctx, chain, diffID, io.Discard)
	if err != nil {
		return 0, err
	}
	hdr := &tar.Header{Name: blobName(diffID), Typeflag: tar.TypeReg, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0)}
	if err := sv.tw.WriteHeader(hdr); err != nil {
		return 0, err
	}
	if _, err := sv.copyLayer(ctx, chain, diffID, sv.tw); err != nil {
		return 0, err
	}
	sv.layerSizes[diffID] = size
	return size, nil
}

func (sv *saver) copyLayer(ctx context.Context, chain, diffID digest.Digest, w io.Writer) (int64, error) {
	rc, err := sv.s.layers.Diff(chain)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	dg := digest.SHA256.Digester()
	n, err := io.Copy(io.MultiWriter(w, dg.Hash()), ctxReader{ctx, rc})
	if err != nil {
		return 0, fmt.Errorf("saving layer %s: %w", diffID, err)
	}
	if dg.Digest() != diffID {
		return 0, fmt.Errorf("saving layer %s: layer store returned content with digest %s", diffID, dg.Digest())
	}
	return n, nil
}
