package server

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/berth/berth/daemon"
	"github.com/moby/moby/api/types/container"
)

// containerStats answers GET /containers/{id}/stats: newline-delimited
// JSON samples, streamed (the default) or one. The 200 goes out with the
// first sample, so that a missing container still gets its 404.
func (s *Server) containerStats(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	opts := daemon.StatsOptions{Stream: r.Form.Get("stream") == "" || boolValue(r, "stream"), OneShot: boolValue(r, "one-shot")}
	enc := json.NewEncoder(w)
	started := false
	return s.backend.Containers.Stats(ctx, vars["id"], opts, func(st *container.StatsResponse) error {
		if !started {
			started = true
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
		}
		if err := enc.Encode(st); err != nil {
			return err
		}
		flush(w)
		return nil
	})
}

// updateContainer answers POST /containers/{id}/update with the warnings.
func (s *Server) updateContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var update container.UpdateConfig
	if err := decodeBody(r, &update, false); err != nil {
		return err
	}
	resp, err := s.backend.Containers.Update(ctx, vars["id"], update)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}
