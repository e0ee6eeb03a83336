package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Manifest media types a pull understands.
const (
	MediaTypeDockerManifest     = string(types.DockerManifestSchema2)
	MediaTypeDockerManifestList = string(types.DockerManifestList)
	MediaTypeDockerConfig       = string(types.DockerConfigJSON)
	MediaTypeDockerLayer        = string(types.DockerLayer)
)

// maxManifestSize bounds manifests and configs read into memory.
const maxManifestSize = 8 << 20

var manifestAccept = strings.Join([]string{
	ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageManifest,
	MediaTypeDockerManifestList, MediaTypeDockerManifest,
}, ", ")

// Repo is one repository of a registry, reached with one set of
// credentials. It is safe for concurrent use.
type Repo struct {
	Name    reference.Named // the normalised repository name
	repo    name.Repository
	tr      http.RoundTripper
	ep      *endpoint
	client  *http.Client
	urls    *http.Client // for foreign layers' URLs
	hasAuth bool

	pushOnce sync.Once
	pusher   *remote.Pusher
	pushErr  error
}

// Image is the image manifest a reference resolved to.
type Image struct {
	// Digest is what the reference resolved to, the index's for a
	// multi-platform image: the image's RepoDigest.
	Digest      digest.Digest
	Manifest    ocispec.Descriptor // the image manifest
	RawManifest []byte
	Config      ocispec.Descriptor
	RawConfig   []byte
	Layers      []ocispec.Descriptor
}

func (r *Repo) url(kind, id string) string {
	return fmt.Sprintf("%s://%s/v2/%s/%s/%s", r.repo.Scheme(), r.repo.RegistryStr(), r.repo.RepositoryStr(), kind, id)
}

// Resolve finds the image ref (tagged or canonical) names for platform p:
// the manifest itself, or the entry of p in an index. It fetches and
// checks the config too. Errors are worded as Docker's pull errors.
func (r *Repo) Resolve(ctx context.Context, ref reference.Named, p Platform) (*Image, error) {
	desc, raw, err := r.manifest(ctx, TagOrDigest(ref))
	if err != nil {
		return nil, r.pullError(err, ref)
	}
	img := &Image{Digest: desc.Digest}
	if isIndex(desc.MediaType) {
		var idx ocispec.Index
		if err := json.Unmarshal(raw, &idx); err != nil {
			return nil, fmt.Errorf("parsing the index of %s: %w", reference.FamiliarString(ref), err)
		}
		child, ok := p.choose(idx.Manifests)
		if !ok {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("no matching manifest for %s in the manifest list entries", p))
		}
		if desc, raw, err = r.manifest(ctx, child.Digest.String()); err != nil {
			return nil, r.pullError(err, ref)
		}
	}
	if err := img.setManifest(desc, raw, ref); err != nil {
		return nil, err
	}
	if img.RawConfig, err = r.small(ctx, img.Config); err != nil {
		return nil, r.pullError(err, ref)
	}
	if p.Explicit {
		var c ocispec.Image
		if err := json.Unmarshal(img.RawConfig, &c); err == nil && !p.Matches(c.Platform) {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("image with reference %s was found but its platform (%s) does not match the specified platform (%s)",
				reference.FamiliarString(ref), FormatPlatform(c.Platform), p))
		}
	}
	return img, nil
}

// setManifest reads an image manifest.
func (img *Image) setManifest(desc ocispec.Descriptor, raw []byte, ref reference.Named) error {
	switch desc.MediaType {
	case MediaTypeDockerManifest, ocispec.MediaTypeImageManifest:
	case string(types.DockerManifestSchema1), string(types.DockerManifestSchema1Signed):
		return errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf("Docker Image manifest version 2, schema 1 is not supported: %s must be pushed again in the OCI or Docker v2 schema 2 format", reference.FamiliarString(ref)))
	default:
		return errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf("%s: unsupported manifest media type %q", reference.FamiliarString(ref), desc.MediaType))
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("parsing the manifest of %s: %w", reference.FamiliarString(ref), err)
	}
	if err := m.Config.Digest.Validate(); err != nil {
		return fmt.Errorf("manifest of %s: config: %w", reference.FamiliarString(ref), err)
	}
	for _, l := range m.Layers {
		if err := l.Digest.Validate(); err != nil {
			return fmt.Errorf("manifest of %s: layer: %w", reference.FamiliarString(ref), err)
		}
	}
	img.Manifest, img.RawManifest, img.Config, img.Layers = desc, raw, m.Config, m.Layers
	return nil
}

func isIndex(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageIndex || mediaType == MediaTypeDockerManifestList
}

// manifest GETs the manifest id (a tag or a digest). By digest, the bytes
// are checked against it.
func (r *Repo) manifest(ctx context.Context, id string) (ocispec.Descriptor, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url("manifests", id), nil)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	req.Header.Set("Accept", manifestAccept)
	resp, err := r.client.Do(req)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	raw, err := readAtMost(resp.Body, maxManifestSize)
	if err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("reading manifest %s: %w", id, err)
	}
	d := digest.FromBytes(raw)
	if want, err := digest.Parse(id); err == nil {
		if d = want.Algorithm().FromBytes(raw); d != want {
			return ocispec.Descriptor{}, nil, fmt.Errorf("manifest verification failed for digest %s", want)
		}
	}
	return ocispec.Descriptor{MediaType: mediaTypeOf(resp.Header.Get("Content-Type"), raw), Digest: d, Size: int64(len(raw))}, raw, nil
}

// mediaTypeOf is the manifest's media type: the Content-Type, or what the
// JSON says when a registry sends a generic one.
func mediaTypeOf(contentType string, raw []byte) string {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(mt)
	if mt != "" && mt != "application/json" && mt != "application/octet-stream" && mt != "text/plain" {
		return mt
	}
	var probe struct {
		MediaType string            `json:"mediaType"`
		Manifests []json.RawMessage `json:"manifests"`
		Config    json.RawMessage   `json:"config"`
	}
	_ = json.Unmarshal(raw, &probe)
	switch {
	case probe.MediaType != "":
		return probe.MediaType
	case probe.Manifests != nil:
		return ocispec.MediaTypeImageIndex
	case probe.Config != nil:
		return ocispec.MediaTypeImageManifest
	}
	return mt
}

// small fetches a small blob (a config) and checks its digest.
func (r *Repo) small(ctx context.Context, desc ocispec.Descriptor) ([]byte, error) {
	rc, err := r.Blob(ctx, desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := readAtMost(rc, maxManifestSize)
	if err != nil {
		return nil, err
	}
	if got := desc.Digest.Algorithm().FromBytes(b); got != desc.Digest {
		return nil, fmt.Errorf("blob verification failed for digest %s", desc.Digest)
	}
	return b, nil
}

func readAtMost(r io.Reader, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, n+1))
	if err == nil && int64(len(b)) > n {
		err = fmt.Errorf("larger than %d bytes", n)
	}
	return b, err
}

// Tags lists the repository's tags.
func (r *Repo) Tags(ctx context.Context) ([]string, error) {
	tags, err := remote.List(r.repo, remote.WithTransport(r.tr), remote.WithContext(ctx))
	if err != nil {
		return nil, r.pullError(err, r.Name)
	}
	return tags, nil
}

// Inspect describes what ref names in the registry without pulling it, as
// GET /distribution/{name}/json: the manifest's (or index's) descriptor
// and the platforms it serves (an index's entries, or the image config's).
func (r *Repo) Inspect(ctx context.Context, ref reference.Named) (registrytypes.DistributionInspect, error) {
	desc, raw, err := r.manifest(ctx, TagOrDigest(ref))
	if err != nil {
		return registrytypes.DistributionInspect{}, r.pullError(err, ref)
	}
	out := registrytypes.DistributionInspect{Descriptor: desc, Platforms: []ocispec.Platform{}}
	if isIndex(desc.MediaType) {
		var idx ocispec.Index
		if err := json.Unmarshal(raw, &idx); err != nil {
			return out, fmt.Errorf("parsing the index of %s: %w", reference.FamiliarString(ref), err)
		}
		for _, m := range idx.Manifests {
			if m.Platform != nil {
				out.Platforms = append(out.Platforms, *m.Platform)
			}
		}
		return out, nil
	}
	img := &Image{}
	if err := img.setManifest(desc, raw, ref); err != nil {
		return out, err
	}
	rawConfig, err := r.small(ctx, img.Config)
	if err != nil {
		return out, r.pullError(err, ref)
	}
	var c ocispec.Image
	if err := json.Unmarshal(rawConfig, &c); err == nil && c.OS != "" {
		out.Platforms = append(out.Platforms, c.Platform)
	}
	return out, nil
}
