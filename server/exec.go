package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/berth/berth/daemon"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

// ExecBackend runs processes in running containers.
type ExecBackend interface {
	ExecCreate(ctx context.Context, ref string, req container.ExecCreateRequest) (string, error)
	ExecStart(ctx context.Context, execID string, opts daemon.ExecStartOptions, hijack daemon.Hijack) error
	ExecInspect(ctx context.Context, execID string) (container.ExecInspectResponse, error)
	ExecResize(ctx context.Context, execID string, height, width uint) error
}

func (s *Server) execRoutes() []route {
	return []route{
		{http.MethodPost, "/containers/{id}/exec", s.execCreate},
		{http.MethodPost, "/exec/{id}/start", s.execStart},
		{http.MethodPost, "/exec/{id}/resize", s.execResize},
		{http.MethodGet, "/exec/{id}/json", s.execInspect},
	}
}

// decodeBody reads a JSON request body into v; an empty body is allowed
// when emptyOK.
func decodeBody(r *http.Request, v any, emptyOK bool) error {
	err := json.NewDecoder(r.Body).Decode(v)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) && emptyOK:
		return nil
	case errors.Is(err, io.EOF):
		return errdefs.ErrInvalidArgument.WithMessage("invalid JSON: request body is empty")
	}
	return errdefs.ErrInvalidArgument.WithMessage("invalid JSON: " + err.Error())
}

func (s *Server) execCreate(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var req container.ExecCreateRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	id, err := s.backend.Exec.ExecCreate(ctx, vars["id"], req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, container.ExecCreateResponse{ID: id})
}

func (s *Server) execStart(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var req container.ExecStartRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	opts := daemon.ExecStartOptions{Detach: req.Detach, ConsoleSize: req.ConsoleSize}
	if req.Detach {
		if err := s.backend.Exec.ExecStart(ctx, vars["id"], opts, nil); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return s.backend.Exec.ExecStart(ctx, vars["id"], opts, hijackFunc(w, r))
}

func (s *Server) execResize(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	h, wd, err := resizeParams(r)
	if err != nil {
		return err
	}
	if err := s.backend.Exec.ExecResize(ctx, vars["id"], h, wd); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) execInspect(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	resp, err := s.backend.Exec.ExecInspect(ctx, vars["id"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}
