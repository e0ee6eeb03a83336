package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/google/go-containerregistry/pkg/v1/types"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Non-distributable ("foreign") layers are ones a registry need not hold
// (Windows base layers, licensed content): their descriptors name URLs to
// fetch them from. A pull fetches them there; a push skips them unless the
// registry is in allow-nondistributable-artifacts (package image decides).

// IsNondistributable reports whether a layer of this media type may be
// left out of registries.
func IsNondistributable(mediaType string) bool {
	switch mediaType {
	case string(types.DockerForeignLayer),
		// OCI's, deprecated by the spec but still served.
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd":
		return true
	}
	return false
}

// urlClient fetches foreign layers from their URLs: no registry
// credentials go there, TLS is verified.
func (c *Client) urlClient() *http.Client {
	return &http.Client{Transport: c.secure}
}

// foreignBlob GETs the foreign layer desc, from byte offset on, from the
// first of its URLs that answers; the last error when none does (the
// caller asks the registry then).
func (r *Repo) foreignBlob(ctx context.Context, desc ocispec.Descriptor, offset int64) (io.ReadCloser, error) {
	lastErr := fmt.Errorf("foreign layer %s: no URL", desc.Digest)
	for _, raw := range desc.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			lastErr = fmt.Errorf("foreign layer %s: bad URL %q", desc.Digest, raw)
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			lastErr = err
			continue
		}
		rc, err := getFrom(r.urls, req, offset)
		if err != nil {
			lastErr = fmt.Errorf("foreign layer %s: %s: %w", desc.Digest, raw, err)
			continue
		}
		return rc, nil
	}
	return nil, lastErr
}
