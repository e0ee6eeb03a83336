package server

import (
	"context"
	"net/http"

	"github.com/berth/berth/api/filters"
	"github.com/containerd/errdefs"
	networktypes "github.com/moby/moby/api/types/network"
)

// NetworkBackend is the network service as the API needs it.
type NetworkBackend interface {
	List(ctx context.Context, f filters.Args) ([]networktypes.Summary, error)
	Inspect(ctx context.Context, ref string) (networktypes.Inspect, error)
	Create(ctx context.Context, req networktypes.CreateRequest) (networktypes.CreateResponse, error)
	Remove(ctx context.Context, ref string) error
	Connect(ctx context.Context, ref string, req networktypes.ConnectRequest) error
	Disconnect(ctx context.Context, ref string, req networktypes.DisconnectRequest) error
	Prune(ctx context.Context, f filters.Args) (networktypes.PruneReport, error)
}

func (s *Server) networkRoutes() []route {
	return []route{
		{http.MethodGet, "/networks", s.listNetworks},
		{http.MethodPost, "/networks/create", s.createNetwork},
		{http.MethodPost, "/networks/prune", s.pruneNetworks},
		{http.MethodGet, "/networks/{id}", s.inspectNetwork},
		{http.MethodDelete, "/networks/{id}", s.removeNetwork},
		{http.MethodPost, "/networks/{id}/connect", s.connectNetwork},
		{http.MethodPost, "/networks/{id}/disconnect", s.disconnectNetwork},
	}
}

func (s *Server) networks() (NetworkBackend, error) {
	if s.backend.Networks == nil {
		return nil, errdefs.ErrNotImplemented.WithMessage("networks are not supported by this daemon")
	}
	return s.backend.Networks, nil
}

func (s *Server) listNetworks(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	args, err := parseForm(r)
	if err != nil {
		return err
	}
	b, err := s.networks()
	if err != nil {
		return err
	}
	nets, err := b.List(ctx, args)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nets)
}

func (s *Server) inspectNetwork(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	b, err := s.networks()
	if err != nil {
		return err
	}
	if sc := r.Form.Get("scope"); sc != "" && sc != "local" {
		return errdefs.ErrNotFound.WithMessage("network " + vars["id"] + " not found")
	}
	nw, err := b.Inspect(ctx, vars["id"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nw)
}

func (s *Server) createNetwork(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var req networktypes.CreateRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	b, err := s.networks()
	if err != nil {
		return err
	}
	resp, err := b.Create(ctx, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) removeNetwork(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	b, err := s.networks()
	if err != nil {
		return err
	}
	if err := b.Remove(ctx, vars["id"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) connectNetwork(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var req networktypes.ConnectRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	b, err := s.networks()
	if err != nil {
		return err
	}
	if err := b.Connect(ctx, vars["id"], req); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) disconnectNetwork(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var req networktypes.DisconnectRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	b, err := s.networks()
	if err != nil {
		return err
	}
	if err := b.Disconnect(ctx, vars["id"], req); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) pruneNetworks(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	args, err := parseForm(r)
	if err != nil {
		return err
	}
	b, err := s.networks()
	if err != nil {
		return err
	}
	report, err := b.Prune(ctx, args)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, report)
}
