// Package server serves the Docker Engine API over HTTP. It owns routing,
// API version negotiation, the error-to-status mapping and the streaming and
// hijacking helpers; the work itself is done by the backends it is given.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime"

	"github.com/berth/berth/api"
	"github.com/containerd/errdefs"
)

// Backends are the services the API routes call.
type Backends struct {
	System       SystemBackend
	Images       ImageBackend
	Containers   ContainerBackend
	Exec         ExecBackend
	Distribution DistributionBackend
	Volumes      VolumeBackend
	Networks     NetworkBackend
	Build        BuildBackend
}

// Server is the API's http.Handler.
type Server struct {
	routes  []compiledRoute
	backend Backends
	log     *slog.Logger
	// serverHeader is the value of the Server header on every response.
	serverHeader string
}

// New returns the API handler over the given backends.
func New(b Backends, engineVersion string, log *slog.Logger) *Server {
	s := &Server{backend: b, log: log, serverHeader: fmt.Sprintf("Berth/%s (%s)", engineVersion, runtime.GOOS)}
	for _, table := range [][]route{s.systemRoutes(), s.imageRoutes(), s.containerRoutes(), s.execRoutes(), s.distributionRoutes(), s.volumeRoutes(), s.networkRoutes(), s.buildRoutes()} {
		for _, r := range table {
			s.routes = append(s.routes, compile(r))
		}
	}
	return s
}

var versionPrefix = regexp.MustCompile(`^/v([0-9]+\.[0-9]+)(/.*)$`)

type versionKey struct{}

// versionOf returns the API version the request was made at.
func versionOf(ctx context.Context) string {
	if v, ok := ctx.Value(versionKey{}).(string); ok {
		return v
	}
	return api.DefaultVersion
}

// ServeHTTP negotiates the version, finds the route and maps its error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, version := r.URL.Path, api.DefaultVersion
	if m := versionPrefix.FindStringSubmatch(path); m != nil {
		version, path = m[1], m[2]
	}
	h, vars, ok := match(s.routes, r.Method, path)
	if !ok {
		writeError(w, errdefs.ErrNotFound.WithMessage("page not found"))
		return
	}
	hdr := w.Header()
	hdr.Set("Server", s.serverHeader)
	hdr.Set("Api-Version", api.MaxVersion)
	hdr.Set("Ostype", runtime.GOOS)
	hdr.Set("Docker-Experimental", "false")
	if err := checkVersion(version); err != nil {
		writeError(w, err)
		return
	}
	ctx := context.WithValue(r.Context(), versionKey{}, version)
	if err := h(ctx, w, r.WithContext(ctx), vars); err != nil {
		s.log.Debug("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, err)
	}
}

func checkVersion(v string) error {
	if api.VersionLess(v, api.MinVersion) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", v, api.MinVersion))
	}
	if api.VersionLess(api.MaxVersion, v) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("client version %s is too new. Maximum supported API version is %s", v, api.MaxVersion))
	}
	return nil
}
