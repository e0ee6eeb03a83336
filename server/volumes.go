package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/berth/berth/api/filters"
	"github.com/berth/berth/volume"
	"github.com/containerd/errdefs"
	volumetypes "github.com/moby/moby/api/types/volume"
)

// VolumeBackend is the volume service as the API needs it.
type VolumeBackend interface {
	List(ctx context.Context, opts volume.ListOptions) ([]volumetypes.Volume, error)
	Create(ctx context.Context, req volumetypes.CreateRequest) (volumetypes.Volume, error)
	Inspect(ctx context.Context, name string) (volumetypes.Volume, error)
	Remove(ctx context.Context, name string, force bool) error
	Prune(ctx context.Context, f filters.Args) (volumetypes.PruneReport, error)
}

func (s *Server) volumeRoutes() []route {
	return []route{
		{http.MethodGet, "/volumes", s.listVolumes},
		{http.MethodPost, "/volumes/create", s.createVolume},
		{http.MethodPost, "/volumes/prune", s.pruneVolumes},
		{http.MethodGet, "/volumes/{name}", s.inspectVolume},
		{http.MethodDelete, "/volumes/{name}", s.removeVolume},
	}
}

func (s *Server) volumes() (VolumeBackend, error) {
	if s.backend.Volumes == nil {
		return nil, errdefs.ErrNotImplemented.WithMessage("volumes are not supported by this daemon")
	}
	return s.backend.Volumes, nil
}

func (s *Server) listVolumes(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	args, err := parseForm(r)
	if err != nil {
		return err
	}
	b, err := s.volumes()
	if err != nil {
		return err
	}
	vols, err := b.List(ctx, volume.ListOptions{Filters: args})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, volumetypes.ListResponse{Volumes: vols, Warnings: []string{}})
}

func (s *Server) createVolume(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var req volumetypes.CreateRequest
	if r.Body != nil {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
			return errdefs.ErrInvalidArgument.WithMessage("invalid JSON: " + err.Error())
		}
	}
	b, err := s.volumes()
	if err != nil {
		return err
	}
	v, err := b.Create(ctx, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

func (s *Server) inspectVolume(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	b, err := s.volumes()
	if err != nil {
		return err
	}
	v, err := b.Inspect(ctx, vars["name"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) removeVolume(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	b, err := s.volumes()
	if err != nil {
		return err
	}
	if err := b.Remove(ctx, vars["name"], boolValue(r, "force")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) pruneVolumes(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	args, err := parseForm(r)
	if err != nil {
		return err
	}
	b, err := s.volumes()
	if err != nil {
		return err
	}
	report, err := b.Prune(ctx, args)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, report)
}
