package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"

	"github.com/berth/berth/daemon"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

// ContainerFSBackend serves the container filesystem APIs: cp, diff,
// export and commit.
type ContainerFSBackend interface {
	StatPath(ctx context.Context, ref, path string) (container.PathStat, error)
	ArchivePath(ctx context.Context, ref, path string, ready func(container.PathStat), w io.Writer) error
	ExtractToDir(ctx context.Context, ref, path string, noOverwriteDirNonDir, copyUIDGID bool, r io.Reader) error
	Changes(ctx context.Context, ref string) ([]container.FilesystemChange, error)
	Export(ctx context.Context, ref string, w io.Writer) error
	Commit(ctx context.Context, opts daemon.CommitOptions) (string, error)
}

// archivePath reads the path parameter, which Docker requires.
func archivePath(r *http.Request) (string, error) {
	if _, err := parseForm(r); err != nil {
		return "", err
	}
	p := r.Form.Get("path")
	if p == "" {
		return "", errdefs.ErrInvalidArgument.WithMessage("bad parameter: path cannot be empty")
	}
	return p, nil
}

func setPathStat(w http.ResponseWriter, st container.PathStat) {
	b, _ := json.Marshal(st)
	w.Header().Set("X-Docker-Container-Path-Stat", base64.StdEncoding.EncodeToString(b))
}

func (s *Server) headArchive(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	st, err := s.backend.Containers.StatPath(ctx, vars["id"], p)
	if err != nil {
		return err
	}
	setPathStat(w, st)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getArchive(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	started := false
	err = s.backend.Containers.ArchivePath(ctx, vars["id"], p, func(st container.PathStat) {
		setPathStat(w, st)
		w.Header().Set("Content-Type", "application/x-tar")
		w.WriteHeader(http.StatusOK)
		started = true
	}, w)
	if err != nil && started {
		s.log.Warn("archive of container path ended early", "container", vars["id"], "path", p, "err", err)
		panic(http.ErrAbortHandler) // the client must not take a cut tar for a whole one
	}
	return err
}

func (s *Server) putArchive(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	err = s.backend.Containers.ExtractToDir(ctx, vars["id"], p, boolValue(r, "noOverwriteDirNonDir"), boolValue(r, "copyUIDGID"), r.Body)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) containerChanges(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	changes, err := s.backend.Containers.Changes(ctx, vars["id"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, changes)
}

func (s *Server) exportContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	lw := &lazyHeaderWriter{w: w, contentType: "application/octet-stream"} // what dockerd answers
	err := s.backend.Containers.Export(ctx, vars["id"], lw)
	if err != nil && lw.started {
		s.log.Warn("export ended early", "container", vars["id"], "err", err)
		panic(http.ErrAbortHandler)
	}
	if err == nil && !lw.started {
		w.Header().Set("Content-Type", lw.contentType)
		w.WriteHeader(http.StatusOK)
	}
	return err
}

func (s *Server) commitContainer(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	opts := daemon.CommitOptions{
		Container: r.Form.Get("container"), Repo: r.Form.Get("repo"), Tag: r.Form.Get("tag"),
		Comment: r.Form.Get("comment"), Author: r.Form.Get("author"), Changes: r.Form["changes"], Pause: true,
	}
	if v := r.Form.Get("pause"); v != "" {
		opts.Pause = boolValue(r, "pause")
	}
	if r.ContentLength != 0 && r.Body != nil {
		var cfg container.Config
		if err := json.NewDecoder(r.Body).Decode(&cfg); err != nil && err != io.EOF {
			return errdefs.ErrInvalidArgument.WithMessage("invalid JSON: " + err.Error())
		}
		opts.Config = &cfg
	}
	id, err := s.backend.Containers.Commit(ctx, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, container.CommitResponse{ID: id})
}
