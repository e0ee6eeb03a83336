package registry

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// Options configure a Client.
type Options struct {
	// InsecureRegistries are reached without TLS verification, and over
	// plain HTTP when they do not speak HTTPS: CIDRs ("10.1.0.0/16") or
	// host[:port] names. 127.0.0.0/8 always is, as in Docker.
	InsecureRegistries []string
	// Mirrors are tried, in order, before Docker Hub for pulls of its
	// images: http:// or https:// URLs.
	Mirrors []string
	// CertsDirs hold per-registry TLS files, <dir>/<host[:port]>/ (Docker's
	// certs.d layout).
	CertsDirs []string
	// AllowNondistributable are the registries (CIDRs or host[:port]) that
	// non-distributable layers are pushed to.
	AllowNondistributable []string
	UserAgent             string
	Log                   *slog.Logger
}

// Client opens repositories of registries. It is safe for concurrent use.
type Client struct {
	insecureSet hostSet
	foreignSet  hostSet // allow-nondistributable-artifacts
	mirrors     []*url.URL
	certsDirs   []string
	userAgent   string
	secure      *http.Transport // verifies TLS
	insecure    *http.Transport // does not
	log         *slog.Logger

	// certsMu guards certsCache: transports with certs.d material, by host
	// and file stamps.
	certsMu    sync.Mutex
	certsCache map[string]http.RoundTripper
}

// NewClient returns a Client configured by opts.
func NewClient(opts Options) (*Client, error) {
	c := &Client{userAgent: opts.UserAgent, log: opts.Log, certsDirs: opts.CertsDirs, certsCache: map[string]http.RoundTripper{}}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if c.insecureSet, err = newHostSet("insecure registry", append([]string{"127.0.0.0/8"}, opts.InsecureRegistries...)); err != nil {
		return nil, err
	}
	if c.foreignSet, err = newHostSet("allow-nondistributable-artifacts registry", opts.AllowNondistributable); err != nil {
		return nil, err
	}
	for _, m := range opts.Mirrors {
		u, err := parseMirror(m)
		if err != nil {
			return nil, err
		}
		c.mirrors = append(c.mirrors, u)
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	c.secure = base
	insecure := base.Clone()
	insecure.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // what insecure-registries means
	c.insecure = insecure
	return c, nil
}

// isInsecure reports whether the registry at host (host[:port]) is
// insecure: named so, or resolving to an address of an insecure network
// (Docker's rule).
func (c *Client) isInsecure(ctx context.Context, host string) bool {
	return c.insecureSet.contains(ctx, host)
}

// AllowsNondistributable reports whether non-distributable layers may be
// pushed to the registry of named (allow-nondistributable-artifacts).
func (c *Client) AllowsNondistributable(ctx context.Context, named reference.Named) bool {
	return c.foreignSet.contains(ctx, endpointHost(reference.Domain(named)))
}

// registry names the registry serving host, insecure or not.
func (c *Client) registry(ctx context.Context, host string) (name.Registry, bool, error) {
	host = endpointHost(host)
	insecure := c.isInsecure(ctx, host)
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return name.Registry{}, false, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	return reg, insecure, nil
}

// transport returns the authenticating transport for reg with the given
// scopes: go-containerregistry pings the registry, answers its basic or
// bearer challenge with ac, and retries network flakes.
func (c *Client) transport(ctx context.Context, reg name.Registry, insecure bool, ac registrytypes.AuthConfig, scopes []string) (http.RoundTripper, *endpoint, error) {
	inner, err := c.hostTransport(reg.RegistryStr(), insecure)
	if err != nil {
		return nil, nil, err
	}
	ep := &endpoint{host: reg.RegistryStr(), allowHTTP: insecure, inner: inner}
	var base http.RoundTripper = transport.NewRetry(ep)
	base = transport.NewUserAgent(base, c.userAgent)
	tr, err := transport.NewWithContext(ctx, reg, authenticator(ac), base, scopes)
	if err != nil {
		return nil, nil, err
	}
	return tr, ep, nil
}

// hostTransport is the plain transport to host: verifying TLS or not, with
// host's certs.d material.
func (c *Client) hostTransport(host string, insecure bool) (http.RoundTripper, error) {
	base := c.secure
	if insecure {
		base = c.insecure
	}
	return c.certsTransport(host, base)
}

// Open connects to the repository named (a normalised reference; its tag
// or digest is ignored) with the credentials ac. For a push it asks for
// push access, and pull access to mountFrom, the repositories of the same
// registry that blobs may be mounted from.
func (c *Client) Open(ctx context.Context, named reference.Named, ac registrytypes.AuthConfig, push bool, mountFrom ...reference.Named) (*Repo, error) {
	reg, insecure, err := c.registry(ctx, reference.Domain(named))
	if err != nil {
		return nil, err
	}
	return c.open(ctx, reg, insecure, named, ac, push, mountFrom...)
}

func (c *Client) open(ctx context.Context, reg name.Registry, insecure bool, named reference.Named, ac registrytypes.AuthConfig, push bool, mountFrom ...reference.Named) (*Repo, error) {
	repo := reg.Repo(reference.Path(named))
	scopes := []string{repo.Scope(transport.PullScope)}
	if push {
		scopes = []string{repo.Scope(transport.PushScope)}
		for _, m := range mountFrom {
			if endpointHost(reference.Domain(m)) == reg.RegistryStr() && m.Name() != named.Name() {
				scopes = append(scopes, reg.Repo(reference.Path(m)).Scope(transport.PullScope))
			}
		}
	}
	r := &Repo{Name: reference.TrimNamed(named), repo: repo, hasAuth: hasCredentials(ac), urls: c.urlClient()}
	tr, ep, err := c.transport(ctx, reg, insecure, ac, scopes)
	if err != nil {
		return nil, r.words(err, push)
	}
	r.tr, r.ep = tr, ep
	r.client = &http.Client{Transport: tr}
	return r, nil
}

// endpoint is the bottom transport of one registry: it refuses plain HTTP
// to a registry that is not insecure (go-containerregistry would fall back
// to it for private addresses, Docker does not) and notes whether the
// registry asked for basic authentication.
type endpoint struct {
	host      string
	allowHTTP bool
	inner     http.RoundTripper
	basic     atomic.Bool
}

func (e *endpoint) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && req.URL.Host == e.host && !e.allowHTTP {
		return nil, fmt.Errorf("%s %q: plain HTTP to registry %s is not allowed: add it to insecure-registries", methodName(req.Method), req.URL.String(), e.host)
	}
	resp, err := e.inner.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && req.URL.Host == e.host {
		if strings.HasPrefix(strings.ToLower(resp.Header.Get("WWW-Authenticate")), "basic") {
			e.basic.Store(true)
		}
	}
	return resp, err
}

// methodName spells an HTTP method as Go's client errors do: "Get", "Head".
func methodName(m string) string {
	if m == "" {
		return "Get"
	}
	return m[:1] + strings.ToLower(m[1:])
}
