package registry

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Outcome is what an upload did.
type Outcome int

const (
	Pushed  Outcome = iota // the bytes were sent
	Mounted                // the registry mounted the blob from another repository
	Existed                // the registry had the blob already
)

// BlobExists asks the registry whether the repository has blob d.
func (r *Repo) BlobExists(ctx context.Context, d digest.Digest) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, r.url("blobs", d.String()), nil)
	if err != nil {
		return false, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK, http.StatusNotFound); err != nil {
		return false, r.words(err, true)
	}
	return resp.StatusCode == http.StatusOK, nil
}

// Upload sends the blob desc, whose bytes open returns (it may be called
// again on a retry). With from, a repository of the same registry holding
// the blob, the registry is first asked to mount it from there.
func (r *Repo) Upload(ctx context.Context, desc ocispec.Descriptor, open func() (io.ReadCloser, error), from reference.Named) (Outcome, error) {
	p, err := r.getPusher()
	if err != nil {
		return Pushed, err
	}
	b := &blob{desc: desc, open: open}
	l, err := partial.CompressedToLayer(b)
	if err != nil {
		return Pushed, err
	}
	var layer v1.Layer = l
	if from != nil {
		src := r.repo.Registry.Repo(reference.Path(from))
		layer = &remote.MountableLayer{Layer: l, Reference: src.Digest(desc.Digest.String())}
	}
	if err := p.Upload(ctx, r.repo, layer); err != nil {
		return Pushed, r.words(err, true)
	}
	switch {
	case b.opened.Load():
		return Pushed, nil
	case from != nil:
		return Mounted, nil
	}
	return Existed, nil
}

// PutManifest uploads the manifest raw of the given media type as tag.
func (r *Repo) PutManifest(ctx context.Context, tag, mediaType string, raw []byte) error {
	p, err := r.getPusher()
	if err != nil {
		return err
	}
	if err := p.Put(ctx, r.repo.Tag(tag), rawManifest{raw: raw, mediaType: types.MediaType(mediaType)}); err != nil {
		return r.words(err, true)
	}
	return nil
}

func (r *Repo) getPusher() (*remote.Pusher, error) {
	r.pushOnce.Do(func() {
		// The transport is authenticated already (a transport.Wrapper), so
		// the pusher uses it as it is.
		r.pusher, r.pushErr = remote.NewPusher(remote.WithTransport(r.tr))
	})
	return r.pusher, r.pushErr
}

// blob is a local blob as go-containerregistry uploads it.
type blob struct {
	desc   ocispec.Descriptor
	open   func() (io.ReadCloser, error)
	opened atomic.Bool
}

func (b *blob) Digest() (v1.Hash, error) { return v1.NewHash(b.desc.Digest.String()) }
func (b *blob) Size() (int64, error)     { return b.desc.Size, nil }
func (b *blob) MediaType() (types.MediaType, error) {
	return types.MediaType(b.desc.MediaType), nil
}
func (b *blob) Compressed() (io.ReadCloser, error) {
	b.opened.Store(true)
	return b.open()
}

// rawManifest is a manifest sent byte for byte as given.
type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mediaType, nil }
