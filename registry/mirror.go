package registry

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// parseMirror reads a registry-mirrors entry as dockerd does: an http or
// https URL with nothing after the host but "/".
func parseMirror(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("invalid mirror: %q is not a valid URI", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid mirror: unsupported scheme %q in %q", u.Scheme, s)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("invalid mirror: path, query, fragment or credentials at end of the URI %q", s)
	}
	return u, nil
}

// Mirrors are the mirrors a pull of named tries before its registry, in
// order: the configured ones for Docker Hub's images, none for others.
func (c *Client) Mirrors(named reference.Named) []string {
	if endpointHost(reference.Domain(named)) != dockerHubEndpoint {
		return nil
	}
	var out []string
	for _, m := range c.mirrors {
		out = append(out, m.String())
	}
	return out
}

// OpenMirror connects to the copy of named's repository on mirror (one of
// Mirrors), for pulling, with the caller's Docker Hub credentials as
// Docker sends them. A plain-HTTP mirror is reached over HTTP.
func (c *Client) OpenMirror(ctx context.Context, named reference.Named, ac registrytypes.AuthConfig, mirror string) (*Repo, error) {
	u, err := parseMirror(mirror)
	if err != nil {
		return nil, err
	}
	insecure := u.Scheme == "http" || c.isInsecure(ctx, u.Host)
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(u.Host, opts...)
	if err != nil {
		return nil, err
	}
	return c.open(ctx, reg, insecure, named, ac, false)
}
