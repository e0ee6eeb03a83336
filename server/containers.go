package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/berth/berth/api"
	"github.com/berth/berth/api/filters"
	"github.com/berth/berth/daemon"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

// ContainerBackend runs containers.
type ContainerBackend interface {
	Create(ctx context.Context, name string, req container.CreateRequest, platform string) (container.CreateResponse, error)
	List(ctx context.Context, opts daemon.ListOptions) ([]container.Summary, error)
	Inspect(ctx context.Context, ref string, size bool) (container.InspectResponse, error)
	Start(ctx context.Context, ref string) error
	Stop(ctx context.Context, ref string, timeout *int, signal string) error
	Restart(ctx context.Context, ref string, timeout *int, signal string) error
	Kill(ctx context.Context, ref, signal string) error
	Wait(ctx context.Context, ref, condition string) (<-chan int, error)
	Remove(ctx context.Context, ref string, force, volumes bool) error
	RemoveLink(ref string) error
	Rename(ctx context.Context, ref, newName string) error
	Pause(ctx context.Context, ref string) error
	Unpause(ctx context.Context, ref string) error
	Attach(ctx context.Context, ref string, opts daemon.AttachOptions, hijack daemon.Hijack) error
	Resize(ctx context.Context, ref string, height, width uint) error
	Prune(ctx context.Context, f filters.Args) (container.PruneReport, error)
	Top(ctx context.Context, ref, psArgs string) (container.TopResponse, error)
	Logs(ctx context.Context, ref string, opts daemon.LogsOptions, out daemon.LogsOutput) error
	ContainerFSBackend
	Stats(ctx context.Context, ref string, opts daemon.StatsOptions, emit func(*container.StatsResponse) error) error
	Update(ctx context.Context, ref string, update container.UpdateConfig) (container.UpdateResponse, error)
}

func (s *Server) containerRoutes() []route {
	return []route{
		{http.MethodGet, "/containers/json", s.listContainers},
		{http.MethodPost, "/containers/create", s.createContainer},
		{http.MethodPost, "/containers/prune", s.pruneContainers},
		{http.MethodGet, "/containers/{id}/json", s.inspectContainer},
		{http.MethodPost, "/containers/{id}/start", s.startContainer},
		{http.MethodPost, "/containers/{id}/stop", s.stopContainer},
		{http.MethodPost, "/containers/{id}/restart", s.restartContainer},
		{http.MethodPost, "/containers/{id}/kill", s.killContainer},
		{http.MethodPost, "/containers/{id}/wait", s.waitContainer},
		{http.MethodPost, "/containers/{id}/rename", s.renameContainer},
		{http.MethodPost, "/containers/{id}/pause", s.pauseContainer},
		{http.MethodPost, "/containers/{id}/unpause", s.unpauseContainer},
		{http.MethodPost, "/containers/{id}/attach", s.attachContainer},
		{http.MethodPost, "/containers/{id}/resize", s.resizeContainer},
		{http.MethodGet, "/containers/{id}/top", s.topContainer},
		{http.MethodGet, "/containers/{id}/logs", s.containerLogs},
		{http.MethodGet, "/containers/{id}/stats", s.containerStats},
		{http.MethodPost, "/containers/{id}/update", s.updateContainer},
		{http.MethodDelete, "/containers/{id:.*}", s.removeContainer}, // greedy: rm --link sends "linker/alias"
		{http.MethodHead, "/containers/{id}/archive", s.headArchive},
		{http.MethodGet, "/containers/{id}/archive", s.getArchive},
		{http.MethodPut, "/containers/{id}/archive", s.putArchive},
		{http.MethodGet, "/containers/{id}/changes", s.containerChanges},
		{http.MethodGet, "/containers/{id}/export", s.exportContainer},
		{http.MethodPost, "/commit", s.commitContainer},
	}
}

func (s *Server) listContainers(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	args, err := parseForm(r)
	if err != nil {
		return err
	}
	limit := 0
	if v := r.Form.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage("invalid limit: " + v)
		}
	}
	list, err := s.backend.Containers.List(ctx, daemon.ListOptions{All: boolValue(r, "all"), Limit: limit, Size: boolValue(r, "size"), Filters: args})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) createContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	var req container.CreateRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	resp, err := s.backend.Containers.Create(ctx, r.Form.Get("name"), req, r.Form.Get("platform"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) inspectContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	resp, err := s.backend.Containers.Inspect(ctx, vars["id"], boolValue(r, "size"))
	if err != nil {
		return err
	}
	body, err := api.ContainerInspectAt(resp, versionOf(ctx))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, body)
}

// noContent answers 204 when err is nil.
func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) startContainer(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	return noContent(w, s.backend.Containers.Start(ctx, vars["id"]))
}

// stopTimeout reads the `t` parameter: nil when absent.
func stopTimeout(r *http.Request) (*int, error) {
	v := r.Form.Get("t")
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("invalid value for t: " + v)
	}
	return &n, nil
}

func (s *Server) stopContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	t, err := stopTimeout(r)
	if err != nil {
		return err
	}
	return noContent(w, s.backend.Containers.Stop(ctx, vars["id"], t, r.Form.Get("signal")))
}

func (s *Server) restartContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	t, err := stopTimeout(r)
	if err != nil {
		return err
	}
	return noContent(w, s.backend.Containers.Restart(ctx, vars["id"], t, r.Form.Get("signal")))
}

func (s *Server) killContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	return noContent(w, s.backend.Containers.Kill(ctx, vars["id"], r.Form.Get("signal")))
}

// waitContainer flushes the 200 headers at once (docker run sends wait
// before start and needs to know it is registered) and writes the exit
// status when the condition is met.
func (s *Server) waitContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	ch, err := s.backend.Containers.Wait(ctx, vars["id"], r.Form.Get("condition"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	flush(w)
	select {
	case code := <-ch:
		return json.NewEncoder(w).Encode(container.WaitResponse{StatusCode: int64(code)})
	case <-ctx.Done():
		return nil
	}
}

func (s *Server) removeContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	if boolValue(r, "link") {
		return noContent(w, s.backend.Containers.RemoveLink(vars["id"]))
	}
	return noContent(w, s.backend.Containers.Remove(ctx, vars["id"], boolValue(r, "force"), boolValue(r, "v")))
}

func (s *Server) renameContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	return noContent(w, s.backend.Containers.Rename(ctx, vars["id"], r.Form.Get("name")))
}

func (s *Server) pauseContainer(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	return noContent(w, s.backend.Containers.Pause(ctx, vars["id"]))
}

func (s *Server) unpauseContainer(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	return noContent(w, s.backend.Containers.Unpause(ctx, vars["id"]))
}

func (s *Server) attachContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	if !boolValue(r, "stream") && !boolValue(r, "logs") {
		return errdefs.ErrInvalidArgument.WithMessage("at least one of stream or logs must be set")
	}
	opts := daemon.AttachOptions{
		Stdin: boolValue(r, "stdin"), Stdout: boolValue(r, "stdout"), Stderr: boolValue(r, "stderr"),
		Logs: boolValue(r, "logs"), Stream: boolValue(r, "stream"), DetachKeys: r.Form.Get("detachKeys"),
	}
	return s.backend.Containers.Attach(ctx, vars["id"], opts, hijackFunc(w, r))
}

func (s *Server) resizeContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	h, wd, err := resizeParams(r)
	if err != nil {
		return err
	}
	if err := s.backend.Containers.Resize(ctx, vars["id"], h, wd); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// resizeParams reads the h and w parameters of a resize request.
func resizeParams(r *http.Request) (height, width uint, err error) {
	if _, err := parseForm(r); err != nil {
		return 0, 0, err
	}
	h, err1 := strconv.ParseUint(r.Form.Get("h"), 10, 32)
	w, err2 := strconv.ParseUint(r.Form.Get("w"), 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, errdefs.ErrInvalidArgument.WithMessage("invalid resize parameters: h and w must be unsigned integers")
	}
	return uint(h), uint(w), nil
}

func (s *Server) pruneContainers(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	args, err := parseForm(r)
	if err != nil {
		return err
	}
	report, err := s.backend.Containers.Prune(ctx, args)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, report)
}

func (s *Server) topContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	resp, err := s.backend.Containers.Top(ctx, vars["id"], r.Form.Get("ps_args"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

// logsOutput sends the 200 and the stream type with the first write.
type logsOutput struct {
	w       http.ResponseWriter
	version string
}

func (o *logsOutput) Start(tty bool) io.Writer {
	o.w.Header().Set("Content-Type", streamType(tty, o.version))
	o.w.WriteHeader(http.StatusOK)
	return o.w
}

func (o *logsOutput) Flush() { flush(o.w) }

func (s *Server) containerLogs(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	opts := daemon.LogsOptions{
		Stdout: boolValue(r, "stdout"), Stderr: boolValue(r, "stderr"),
		Follow: boolValue(r, "follow"), Timestamps: boolValue(r, "timestamps"), Tail: -1,
	}
	if !opts.Stdout && !opts.Stderr {
		return errdefs.ErrInvalidArgument.WithMessage("Bad parameters: you must choose at least one stream")
	}
	if tail := r.Form.Get("tail"); tail != "" && tail != "all" {
		n, err := strconv.Atoi(tail)
		if err != nil {
			return errdefs.ErrInvalidArgument.WithMessage("invalid value for tail: " + tail)
		}
		opts.Tail = n
	}
	var err error
	if opts.Since, err = parseTimestamp(r.Form.Get("since")); err != nil {
		return err
	}
	if opts.Until, err = parseTimestamp(r.Form.Get("until")); err != nil {
		return err
	}
	return s.backend.Containers.Logs(ctx, vars["id"], opts, &logsOutput{w: w, version: versionOf(ctx)})
}
