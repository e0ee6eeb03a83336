package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/berth/berth/api"
	"github.com/berth/berth/image"
	"github.com/berth/berth/registry"
	"github.com/containerd/errdefs"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// DistributionBackend pulls, pushes and checks registry logins.
type DistributionBackend interface {
	Pull(ctx context.Context, opts image.PullOptions, out api.Progress) error
	Push(ctx context.Context, opts image.PushOptions, out api.Progress) error
	Login(ctx context.Context, ac registrytypes.AuthConfig) (identityToken string, err error)
	Inspect(ctx context.Context, name string, ac registrytypes.AuthConfig) (registrytypes.DistributionInspect, error)
	Search(ctx context.Context, opts image.SearchOptions) ([]registrytypes.SearchResult, error)
}

// distributionRoutes are push and login; pull is POST /images/create
// (createImage) with fromImage.
func (s *Server) distributionRoutes() []route {
	return []route{
		{http.MethodPost, "/images/{name:.*}/push", s.pushImage},
		{http.MethodPost, "/auth", s.login},
		{http.MethodGet, "/distribution/{name:.*}/json", s.distributionInspect},
	}
}

// distributionInspect asks the registry about an image without pulling it
// (docker compose resolves digests with it).
func (s *Server) distributionInspect(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	auth, _ := registry.DecodeAuthConfig(r.Header.Get(registrytypes.AuthHeader))
	resp, err := s.backend.Distribution.Inspect(ctx, vars["name"], auth)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

// pullImage streams a pull. Docker ignores an X-Registry-Auth it cannot
// decode on pulls (anonymous access), and so does this.
func (s *Server) pullImage(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	auth, _ := registry.DecodeAuthConfig(r.Header.Get(registrytypes.AuthHeader))
	opts := image.PullOptions{
		Image:    r.Form.Get("fromImage"),
		Tag:      r.Form.Get("tag"),
		Platform: r.Form.Get("platform"),
		Auth:     auth,
	}
	out := newProgress(w)
	return out.finish(s.backend.Distribution.Pull(ctx, opts, out))
}

func (s *Server) pushImage(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	auth, err := registry.DecodeAuthConfig(r.Header.Get(registrytypes.AuthHeader))
	if err != nil {
		return err
	}
	opts := image.PushOptions{Name: vars["name"], Tag: r.Form.Get("tag"), Auth: auth}
	out := newProgress(w)
	return out.finish(s.backend.Distribution.Push(ctx, opts, out))
}

// loginResponse is POST /auth's answer; Docker sends IdentityToken even
// when empty.
type loginResponse struct {
	IdentityToken string `json:"IdentityToken"`
	Status        string `json:"Status"`
}

func (s *Server) login(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var ac registrytypes.AuthConfig
	if err := json.NewDecoder(r.Body).Decode(&ac); err != nil {
		return errdefs.ErrInvalidArgument.WithMessage("invalid login request: " + err.Error())
	}
	token, err := s.backend.Distribution.Login(ctx, ac)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, loginResponse{IdentityToken: token, Status: "Login Succeeded"})
}

// searchImages is GET /images/search: term, limit, filters, credentials in
// X-Registry-Auth.
func (s *Server) searchImages(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	args, err := parseForm(r)
	if err != nil {
		return err
	}
	opts := image.SearchOptions{Term: r.Form.Get("term"), Filters: args}
	if v := r.Form.Get("limit"); v != "" {
		if opts.Limit, err = strconv.Atoi(v); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid limit %q: %v", v, err))
		}
	}
	opts.Auth, _ = registry.DecodeAuthConfig(r.Header.Get(registrytypes.AuthHeader))
	res, err := s.backend.Distribution.Search(ctx, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
