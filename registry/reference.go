package registry

import (
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// Docker Hub's names: what references say, and where its API lives.
const (
	dockerHubDomain   = "docker.io"
	dockerHubIndex    = "index.docker.io"
	dockerHubEndpoint = "registry-1.docker.io"
)

// ParseReference is Docker's reading of the fromImage and tag parameters of
// a pull: familiar names are expanded (busybox is
// docker.io/library/busybox), tag may be a tag or a digest and overrides
// what image carries, and a name with neither means every tag of the
// repository. A trailing ":" (old "pull -a" clients) is ignored.
func ParseReference(image, tag string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(strings.TrimSuffix(image, ":"))
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	if tag == "" {
		return named, nil
	}
	if d, err := digest.Parse(tag); err == nil {
		named, err = reference.WithDigest(reference.TrimNamed(named), d)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		return named, nil
	}
	named, err = reference.WithTag(named, tag)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	return named, nil
}

// TagOrDigest is the tag or digest of ref, as the ID of the "Pulling from"
// message; "" for a bare name.
func TagOrDigest(ref reference.Named) string {
	if c, ok := ref.(reference.Canonical); ok {
		return c.Digest().String()
	}
	if t, ok := ref.(reference.Tagged); ok {
		return t.Tag()
	}
	return ""
}

// endpointHost is the host serving the registry API of domain: Docker Hub's
// names all lead to registry-1.docker.io.
func endpointHost(domain string) string {
	switch domain {
	case "", dockerHubDomain, dockerHubIndex, "registry.hub.docker.com":
		return dockerHubEndpoint
	}
	return domain
}

// serverHost reads the serveraddress of a login: a host[:port], perhaps
// with a scheme and a path ("https://index.docker.io/v1/"), "" for Docker
// Hub.
func serverHost(address string) string {
	s := strings.TrimSpace(address)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	return endpointHost(s)
}
