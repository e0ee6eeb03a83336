package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/berth/berth/api"
	"github.com/berth/berth/events"
	"github.com/containerd/errdefs"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/system"
)

// SystemBackend answers the daemon-wide endpoints.
type SystemBackend interface {
	Info(ctx context.Context) (system.Info, error)
	Version(ctx context.Context) system.VersionResponse
	DiskUsage(ctx context.Context) (api.DiskUsage, error)
	Events() *events.Bus
}

func (s *Server) systemRoutes() []route {
	return []route{
		{http.MethodGet, "/_ping", s.ping},
		{http.MethodHead, "/_ping", s.ping},
		{http.MethodGet, "/version", s.version},
		{http.MethodGet, "/info", s.info},
		{http.MethodGet, "/events", s.events},
		{http.MethodGet, "/system/df", s.diskUsage},
	}
}

func (s *Server) ping(_ context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	h := w.Header()
	h.Set("Builder-Version", "1")
	h.Set("Swarm", "inactive")
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write([]byte("OK"))
	return err
}

func (s *Server) version(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	return writeJSON(w, http.StatusOK, s.backend.System.Version(ctx))
}

func (s *Server) info(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	info, err := s.backend.System.Info(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, info)
}

func (s *Server) diskUsage(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	du, err := s.backend.System.DiskUsage(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, du)
}

// events streams newline-delimited JSON events: the recorded ones since
// `since`, then live ones until `until` or the client leaves.
func (s *Server) events(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	args, err := parseForm(r)
	if err != nil {
		return err
	}
	filter, err := events.NewFilter(args)
	if err != nil {
		return err
	}
	since, err := parseTimestamp(r.Form.Get("since"))
	if err != nil {
		return err
	}
	until, err := parseTimestamp(r.Form.Get("until"))
	if err != nil {
		return err
	}
	if !until.IsZero() && until.Before(since) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("`since` time (%s) cannot be after `until` time (%s)", r.Form.Get("since"), r.Form.Get("until")))
	}
	past, sub := s.backend.System.Events().SubscribeBetween(since, until)
	defer sub.Close()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	flush(w)
	enc := json.NewEncoder(w)
	send := func(m eventtypes.Message) bool {
		if !until.IsZero() && m.TimeNano > until.UnixNano() {
			return false
		}
		if filter.Match(m) {
			if err := enc.Encode(api.LegacyEvent(m)); err != nil {
				return false
			}
			flush(w)
		}
		return true
	}
	for _, m := range past {
		if !send(m) {
			return nil
		}
	}
	var deadline <-chan time.Time
	if !until.IsZero() {
		timer := time.NewTimer(time.Until(until))
		defer timer.Stop()
		deadline = timer.C
	}
	for {
		select {
		case m := <-sub.C:
			if !send(m) {
				return nil
			}
		case <-deadline:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// parseTimestamp reads Docker's `since`/`until` values: unix seconds with an
// optional fraction ("1700000000.5"). The CLI converts durations and dates
// to this form before sending.
func parseTimestamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	secStr, fracStr, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil {
		return time.Time{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid timestamp %q", s))
	}
	var nsec int64
	if fracStr != "" {
		if len(fracStr) > 9 {
			fracStr = fracStr[:9]
		}
		fracStr += strings.Repeat("0", 9-len(fracStr))
		if nsec, err = strconv.ParseInt(fracStr, 10, 64); err != nil {
			return time.Time{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid timestamp %q", s))
		}
	}
	return time.Unix(sec, nsec), nil
}
