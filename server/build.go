package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/berth/berth/api"
	"github.com/berth/berth/builder"
	"github.com/containerd/errdefs"
	buildtypes "github.com/moby/moby/api/types/build"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// BuildBackend runs Dockerfile builds.
type BuildBackend interface {
	Build(ctx context.Context, body io.Reader, opts builder.Options) (string, error)
	Cancel(id string) error
	PruneCache(ctx context.Context) (buildtypes.CachePruneReport, error)
}

func (s *Server) buildRoutes() []route {
	return []route{
		{http.MethodPost, "/build", s.build},
		{http.MethodPost, "/build/prune", s.pruneBuildCache},
		{http.MethodPost, "/build/cancel", s.cancelBuild},
		{http.MethodGet, "/build/cancel", s.cancelBuild},
	}
}

// build is POST /build: the context tar in the body, the classic
// builder's JSON stream in the answer.
func (s *Server) build(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if s.backend.Build == nil {
		return errdefs.ErrNotImplemented.WithMessage("builds are not supported by this daemon")
	}
	if _, err := parseForm(r); err != nil {
		return err
	}
	opts, err := buildOptions(r)
	if err != nil {
		return err
	}
	out := newProgress(w)
	opts.Out = out
	_, err = s.backend.Build.Build(ctx, r.Body, opts)
	var exit *builder.ExitError
	if errors.As(err, &exit) && out.isStarted() {
		// The docker CLI exits with the failed command's status.
		out.Send(api.Message{ErrorDetail: &api.ErrorDetail{Code: exit.Code, Message: err.Error()}, ErrorMessage: err.Error()})
		return nil
	}
	return out.finish(err)
}

func (p *progressWriter) isStarted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started
}

func buildOptions(r *http.Request) (builder.Options, error) {
	f := r.Form
	switch f.Get("version") {
	case "", "1":
	default:
		return builder.Options{}, errdefs.ErrNotImplemented.WithMessage("BuildKit builds (version=2) are not supported by Berth yet; use DOCKER_BUILDKIT=0")
	}
	if f.Get("remote") != "" {
		return builder.Options{}, errdefs.ErrNotImplemented.WithMessage("remote build contexts are not supported by Berth yet")
	}
	if boolValue(r, "squash") {
		return builder.Options{}, errdefs.ErrNotImplemented.WithMessage("--squash is not supported by Berth yet")
	}
	opts := builder.Options{Tags: f["t"], Dockerfile: f.Get("dockerfile"), Target: f.Get("target"),
		NoCache: boolValue(r, "nocache"), Pull: boolValue(r, "pull"), Remove: f.Get("rm") == "" || boolValue(r, "rm"),
		ForceRm: boolValue(r, "forcerm"), Quiet: boolValue(r, "q"), Platform: f.Get("platform"), BuildID: f.Get("buildid"),
		NetworkMode: f.Get("networkmode"), CPUSetCPUs: f.Get("cpusetcpus"), CPUSetMems: f.Get("cpusetmems")}
	if err := jsonParam(f.Get("buildargs"), &opts.BuildArgs); err != nil {
		return opts, err
	}
	if err := jsonParam(f.Get("labels"), &opts.Labels); err != nil {
		return opts, err
	}
	if err := jsonParam(f.Get("cachefrom"), &opts.CacheFrom); err != nil {
		return opts, err
	}
	for _, h := range f["extrahosts"] {
		if strings.HasPrefix(h, "[") {
			var hosts []string
			if err := jsonParam(h, &hosts); err != nil {
				return opts, err
			}
			opts.ExtraHosts = append(opts.ExtraHosts, hosts...)
		} else if h != "" {
			opts.ExtraHosts = append(opts.ExtraHosts, h)
		}
	}
	for key, dst := range map[string]*int64{"shmsize": &opts.ShmSize, "memory": &opts.Memory, "memswap": &opts.MemorySwap,
		"cpushares": &opts.CPUShares, "cpuquota": &opts.CPUQuota, "cpuperiod": &opts.CPUPeriod} {
		if v := f.Get(key); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return opts, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid %s value %q", key, v))
			}
			*dst = n
		}
	}
	opts.AuthConfigs = registryConfig(r.Header.Get("X-Registry-Config"))
	return opts, nil
}

func jsonParam(v string, dst any) error {
	if v == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(v), dst); err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid JSON %q: %v", v, err))
	}
	return nil
}

// registryConfig decodes X-Registry-Config (base64 JSON, registry ->
// credentials); like Docker, a header it cannot read means no credentials.
func registryConfig(header string) map[string]registrytypes.AuthConfig {
	if header == "" {
		return nil
	}
	b, err := base64.URLEncoding.DecodeString(header)
	if err != nil {
		if b, err = base64.StdEncoding.DecodeString(header); err != nil {
			return nil
		}
	}
	var out map[string]registrytypes.AuthConfig
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

func (s *Server) pruneBuildCache(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if s.backend.Build == nil {
		return writeJSON(w, http.StatusOK, buildtypes.CachePruneReport{})
	}
	rep, err := s.backend.Build.PruneCache(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (s *Server) cancelBuild(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := r.ParseForm(); err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	if s.backend.Build == nil {
		return errdefs.ErrNotFound.WithMessage("no such build: " + r.Form.Get("id"))
	}
	if err := s.backend.Build.Cancel(r.Form.Get("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
