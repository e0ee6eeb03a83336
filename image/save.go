package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"maps"
	"path"
	"slices"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Save writes the images names designate to w as one tar, as
// GET /images/get: Docker 25+'s layout, both a docker-archive
// (manifest.json, repositories) and an OCI image layout (oci-layout,
// index.json), sharing blobs/sha256/ with uncompressed layers. A bare
// repository name saves all its tags.
func (s *Service) Save(ctx context.Context, names []string, w io.Writer) error {
	s.mu.Lock()
	st := s.snapshot()
	sel, err := st.selectForSave(names)
	var chains []digest.Digest
	for _, img := range sel {
		chains = append(chains, st.records[img.id].chain...)
	}
	s.leaseLocked(chains...) // keep the layers while they are streamed
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.releaseLocked(chains...)
		s.mu.Unlock()
	}()
	if err != nil {
		return err
	}
	sv := &saver{s: s, st: st, tw: tar.NewWriter(w), layerSizes: map[digest.Digest]int64{}}
	if err := sv.save(ctx, sel); err != nil {
		return err
	}
	for _, img := range sel {
		s.publish(eventtypes.ActionSave, img.id, img.id.String(), st.records[img.id].labels())
	}
	return nil
}

// saveImage is one image to save and the tags to save it with.
type saveImage struct {
	id   digest.Digest
	tags []reference.NamedTagged
}

// selectForSave resolves names as Docker's save does.
func (st *state) selectForSave(names []string) ([]*saveImage, error) {
	var sel []*saveImage
	add := func(id digest.Digest, ref reference.Named) {
		var img *saveImage
		for _, s := range sel {
			if s.id == id {
				img = s
			}
		}
		if img == nil {
			img = &saveImage{id: id}
			sel = append(sel, img)
		}
		if tagged, ok := ref.(reference.NamedTagged); ok && !isCanonical(ref) {
			for _, t := range img.tags {
				if t.String() == tagged.String() {
					return
				}
			}
			img.tags = append(img.tags, tagged)
		}
	}
	for _, name := range names {
		if err := st.selectName(name, add); err != nil {
			return nil, err
		}
	}
	return sel, nil
}

func (st *state) selectName(name string, add func(digest.Digest, reference.Named)) error {
	ref, err := reference.ParseAnyReference(name)
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	named, ok := ref.(reference.Named)
	if ok && reference.FamiliarName(named) == string(digest.SHA256) {
		ok = false // "sha256:<short ID>": an ID, not a repository
	}
	if ok && reference.IsNameOnly(named) {
		found := false
		for _, id := range slices.Sorted(maps.Keys(st.refs)) {
			for _, r := range st.refs[id] {
				if r.Name() == named.Name() {
					add(id, r)
					found = true
				}
			}
		}
		if found {
			return nil
		}
	} else if ok {
		norm, err := normalize(name)
		if err != nil {
			return err
		}
		id, found := st.index.References[norm.String()]
		if !found {
			return errdefs.ErrNotFound.WithMessage("reference does not exist")
		}
		add(id, norm)
		return nil
	}
	id, err := st.resolve(name)
	if err != nil {
		return err
	}
	add(id, nil)
	return nil
}

// saver writes one save archive.
type saver struct {
	s          *Service
	st         *state
	tw         *tar.Writer
	layerSizes map[digest.Digest]int64 // layers written, by diff ID
	manifest   []manifestItem
	index      []ocispec.Descriptor
	repos      map[string]map[string]string
}

func (sv *saver) save(ctx context.Context, sel []*saveImage) error {
	sv.repos = map[string]map[string]string{}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := sv.tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
	}
	for _, img := range sel {
		if err := sv.saveImage(ctx, img, sel); err != nil {
			return err
		}
	}
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: sv.index}
	files := []struct {
		name string
		v    any
	}{{ocispec.ImageIndexFile, idx}, {"manifest.json", sv.manifest},
		{ocispec.ImageLayoutFile, ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion}}, {"repositories", sv.repos}}
	for _, f := range files {
		if f.name == "repositories" && len(sv.repos) == 0 {
			continue
		}
		b, err := json.Marshal(f.v)
		if err != nil {
			return err
		}
		if err := sv.writeFile(f.name, b); err != nil {
			return err
		}
	}
	return sv.tw.Close()
}

func (sv *saver) writeFile(name string, b []byte) error {
	hdr := &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0)}
	if err := sv.tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := sv.tw.Write(b)
	return err
}

func blobName(d digest.Digest) string {
	return path.Join(ocispec.ImageBlobsDir, d.Algorithm().String(), d.Encoded())
}
