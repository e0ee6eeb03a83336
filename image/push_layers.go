package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/berth/berth/api"
	"github.com/berth/berth/registry"
	"github.com/distribution/reference"
	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// push is one tag being pushed.
type push struct {
	d      *Distribution
	repo   *registry.Repo
	rec    *record
	config []byte
	out    api.Progress

	layers    []*pushLayer // base first
	mediaType string       // of the manifest
	manifest  []byte       // nil until built, for a new manifest
	configDsc ocispec.Descriptor
	// foreignOK: the registry takes non-distributable layers
	// (allow-nondistributable-artifacts); else they are not sent.
	foreignOK bool
}

// pushLayer is one layer of the image being pushed.
type pushLayer struct {
	desc   ocispec.Descriptor // the blob; no digest yet when it must be compressed
	diffID digest.Digest
	chain  digest.Digest
	prog   registry.Progress
}

// plan chooses what to send: a manifest the image was pulled or pushed as,
// when each of its blobs is here or in the repository already; else the
// blobs at hand, compressing the layers that have none, under a new
// manifest. Each layer is announced, the top one first, as Docker does.
func (pp *push) plan(ctx context.Context) error {
	meta := pp.d.s.blobs.snapshot()
	diffIDs := pp.rec.config.RootFS.DiffIDs
	for i, diffID := range diffIDs {
		pp.layers = append(pp.layers, &pushLayer{diffID: diffID, chain: pp.rec.chain[i],
			prog: registry.Progress{Out: pp.out, ID: registry.ShortID(diffID)}})
	}
	for _, l := range slices.Backward(pp.layers) {
		l.prog.Status("Preparing")
	}
	for _, m := range meta.Manifests[pp.rec.id] {
		if pp.useStored(ctx, m) {
			return nil
		}
	}
	for _, l := range pp.layers {
		l.desc = pp.localBlob(meta, l.diffID)
	}
	return nil
}

// useStored takes manifest m if it is here and each of its blobs is here
// or in the repository.
func (pp *push) useStored(ctx context.Context, m ocispec.Descriptor) bool {
	raw, err := pp.d.s.blobs.content.Get(m.Digest)
	if err != nil {
		return false
	}
	var man ocispec.Manifest
	if json.Unmarshal(raw, &man) != nil || man.Config.Digest != pp.rec.id || len(man.Layers) != len(pp.layers) {
		return false
	}
	for _, l := range man.Layers {
		if !pp.d.s.blobs.has(l.Digest) && !(isForeign(l) && !pp.foreignOK) {
			if ok, err := pp.repo.BlobExists(ctx, l.Digest); err != nil || !ok {
				return false
			}
		}
	}
	if pp.foreignOK && slices.ContainsFunc(man.Layers, isForeign) {
		return false // its foreign layers go as ordinary ones, under a new manifest
	}
	for i, l := range man.Layers {
		pp.layers[i].desc = ocispec.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size, URLs: l.URLs}
	}
	pp.mediaType, pp.manifest, pp.configDsc = m.MediaType, raw, man.Config
	return true
}

// localBlob is a blob here of layer diffID, gzip preferred; none is an
// empty descriptor.
func (pp *push) localBlob(meta *distMeta, diffID digest.Digest) ocispec.Descriptor {
	var found []ocispec.Descriptor
	for d, info := range meta.Blobs {
		if info.DiffID == diffID && pp.d.s.blobs.has(d) {
			found = append(found, ocispec.Descriptor{MediaType: info.MediaType, Digest: d, Size: info.Size, URLs: info.URLs})
		}
	}
	slices.SortFunc(found, func(a, b ocispec.Descriptor) int {
		if ga, gb := isGzip(a.MediaType), isGzip(b.MediaType); ga != gb {
			if ga {
				return -1
			}
			return 1
		}
		return strings.Compare(string(a.Digest), string(b.Digest))
	})
	if len(found) == 0 {
		return ocispec.Descriptor{}
	}
	return found[0]
}

func isGzip(mediaType string) bool {
	return mediaType == registry.MediaTypeDockerLayer || mediaType == ocispec.MediaTypeImageLayerGzip
}

// sendLayers sends the layers, the top one first, MaxUploads at a time;
// a layer that has to wait for a slot says "Waiting".
func (pp *push) sendLayers(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slots := make(chan struct{}, pp.d.opts.MaxUploads)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			cancel()
		}
	}
	for _, l := range slices.Backward(pp.layers) {
		select {
		case slots <- struct{}{}:
		default:
			l.prog.Status("Waiting")
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := pp.sendLayer(ctx, l); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

// sendLayer compresses the layer if it has no blob yet, then sends the
// blob unless the repository has it, mounting it from another repository
// of the registry when one is known to have it.
func (pp *push) sendLayer(ctx context.Context, l *pushLayer) error {
	blobs := pp.d.s.blobs
	if l.desc.Digest == "" {
		desc, err := pp.compress(ctx, l)
		if err != nil {
			return err
		}
		l.desc = desc
	}
	if isForeign(l.desc) {
		if !pp.foreignOK {
			l.prog.Status("Skipped foreign layer") // the manifest names its URLs
			return nil
		}
		l.desc = distributable(l.desc)
	}
	if ok, err := pp.repo.BlobExists(ctx, l.desc.Digest); err != nil {
		return err
	} else if ok {
		l.prog.Status("Layer already exists")
		return nil
	}
	var from reference.Named
	if info, ok := blobs.snapshot().Blobs[l.desc.Digest]; ok {
		for _, r := range slices.Backward(info.Repos) {
			if from = mountSource(r, pp.repo.Name); from != nil {
				break
			}
		}
	}
	open := func() (io.ReadCloser, error) {
		f, err := blobs.content.Open(l.desc.Digest)
		if err != nil {
			return nil, err
		}
		return struct {
			io.Reader
			io.Closer
		}{l.prog.Reader(f, "Pushing", l.desc.Size), f}, nil
	}
	outcome, err := pp.repo.Upload(ctx, l.desc, open, from)
	if err != nil {
		return err
	}
	switch outcome {
	case registry.Mounted:
		l.prog.Status("Mounted from " + reference.Path(from))
	case registry.Existed:
		l.prog.Status("Layer already exists")
	default:
		l.prog.Status("Pushed")
	}
	return nil
}

// compress makes the gzip blob of a layer from its tar, keeps it in the
// blob store (so that the next push sends the same blob) and returns it.
func (pp *push) compress(ctx context.Context, l *pushLayer) (ocispec.Descriptor, error) {
	tarStream, err := pp.d.s.layers.Diff(l.chain)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer tarStream.Close()
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		zw := gzip.NewWriter(pw)
		_, err := io.Copy(zw, ctxReader{ctx, tarStream})
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	info, err := pp.d.s.blobs.content.Put(pr, "")
	pr.CloseWithError(errors.New("compression abandoned")) // unblocks the writer after a failure
	<-done
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: registry.MediaTypeDockerLayer, Digest: info.Digest, Size: info.Size}
	return desc, pp.d.s.blobs.update(func(m *distMeta) { m.addBlob(desc, l.diffID, "") })
}

// sendConfig sends the image's config unless the repository has it.
func (pp *push) sendConfig(ctx context.Context) error {
	if pp.configDsc.Digest == "" {
		pp.configDsc = ocispec.Descriptor{MediaType: registry.MediaTypeDockerConfig, Digest: pp.rec.id, Size: int64(len(pp.config))}
		if pp.isOCI() {
			pp.configDsc.MediaType = ocispec.MediaTypeImageConfig
		}
	}
	if ok, err := pp.repo.BlobExists(ctx, pp.configDsc.Digest); err != nil || ok {
		return err
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pp.config)), nil }
	_, err := pp.repo.Upload(ctx, pp.configDsc, open, nil)
	return err
}

// isOCI reports whether a new manifest must be an OCI one: some blob has
// an OCI media type (a Docker schema2 manifest cannot name it).
func (pp *push) isOCI() bool {
	return slices.ContainsFunc(pp.layers, func(l *pushLayer) bool { return strings.HasPrefix(l.desc.MediaType, "application/vnd.oci.") })
}

// buildManifest makes a new manifest of the layers' blobs: Docker's
// schema2, as dockerd writes it, or an OCI manifest when a blob needs it.
func (pp *push) buildManifest() error {
	if pp.isOCI() {
		m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
			Config: pp.configDsc, Layers: []ocispec.Descriptor{}}
		for _, l := range pp.layers {
			d := l.desc
			if d.MediaType == registry.MediaTypeDockerLayer {
				d.MediaType = ocispec.MediaTypeImageLayerGzip
			}
			m.Layers = append(m.Layers, d)
		}
		raw, err := json.Marshal(m)
		pp.mediaType, pp.manifest = ocispec.MediaTypeImageManifest, raw
		return err
	}
	// schema2Descriptor orders its fields as Docker's distribution library does.
	type schema2Descriptor struct {
		MediaType string        `json:"mediaType"`
		Size      int64         `json:"size"`
		Digest    digest.Digest `json:"digest"`
		URLs      []string      `json:"urls,omitempty"`
	}
	m := struct {
		SchemaVersion int                 `json:"schemaVersion"`
		MediaType     string              `json:"mediaType"`
		Config        schema2Descriptor   `json:"config"`
		Layers        []schema2Descriptor `json:"layers"`
	}{2, registry.MediaTypeDockerManifest, schema2Descriptor{pp.configDsc.MediaType, pp.configDsc.Size, pp.configDsc.Digest, nil}, []schema2Descriptor{}}
	for _, l := range pp.layers {
		m.Layers = append(m.Layers, schema2Descriptor{l.desc.MediaType, l.desc.Size, l.desc.Digest, l.desc.URLs})
	}
	raw, err := json.MarshalIndent(m, "", "   ")
	pp.mediaType, pp.manifest = registry.MediaTypeDockerManifest, raw
	return err
}

// record keeps the manifest and blobs pushed for the next push, and adds
// the RepoDigest the registry now answers to, as Docker does.
func (pp *push) record(t pushTarget, md digest.Digest) error {
	s := pp.d.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.snapshot().index.Images[t.id]; !ok {
		return nil // deleted meanwhile
	}
	if _, err := s.blobs.content.PutBytes(pp.manifest, md); err != nil {
		return err
	}
	var descs []ocispec.Descriptor
	for _, l := range pp.layers {
		descs = append(descs, l.desc)
	}
	desc := ocispec.Descriptor{MediaType: pp.mediaType, Digest: md, Size: int64(len(pp.manifest))}
	repoName := pp.repo.Name.String()
	if err := s.blobs.update(func(m *distMeta) { m.addImage(t.id, desc, descs, pp.rec.config.RootFS.DiffIDs, repoName) }); err != nil {
		return err
	}
	byDigest, err := reference.WithDigest(pp.repo.Name, md)
	if err != nil {
		return err
	}
	next := s.snapshot().index.clone()
	next.References[byDigest.String()] = t.id
	return s.commitLocked(next)
}

// isForeign reports whether a layer is non-distributable with URLs to
// fetch it from: such a layer is not pushed unless the registry allows it
// (Docker's rule; one without URLs is pushed like any other).
func isForeign(d ocispec.Descriptor) bool {
	return len(d.URLs) > 0 && registry.IsNondistributable(d.MediaType)
}

// distributable is a foreign layer as pushed to a registry that takes
// them: an ordinary layer of the same compression, without URLs.
func distributable(d ocispec.Descriptor) ocispec.Descriptor {
	switch {
	case strings.HasSuffix(d.MediaType, "+gzip"):
		d.MediaType = ocispec.MediaTypeImageLayerGzip
	case strings.HasSuffix(d.MediaType, "+zstd"):
		d.MediaType = ocispec.MediaTypeImageLayerZstd
	case strings.HasPrefix(d.MediaType, "application/vnd.oci."):
		d.MediaType = ocispec.MediaTypeImageLayer
	default:
		d.MediaType = registry.MediaTypeDockerLayer
	}
	d.URLs = nil
	return d
}
