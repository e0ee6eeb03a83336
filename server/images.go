package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/berth/berth/api"
	"github.com/berth/berth/api/filters"
	"github.com/berth/berth/image"
	"github.com/containerd/errdefs"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
)

// ImageBackend is the image service as the API needs it.
type ImageBackend interface {
	List(ctx context.Context, opts image.ListOptions) ([]imagetypes.Summary, error)
	Inspect(ctx context.Context, name string) (imagetypes.InspectResponse, error)
	ParentOf(id string) string // "" if none
	History(ctx context.Context, name string) ([]imagetypes.HistoryResponseItem, error)
	Tag(ctx context.Context, source, repo, tag string) error
	Delete(ctx context.Context, name string, force, noPrune bool) ([]imagetypes.DeleteResponse, error)
	Prune(ctx context.Context, f filters.Args) (imagetypes.PruneReport, error)
	Load(ctx context.Context, r io.Reader, quiet bool, out api.Progress) error
	Save(ctx context.Context, names []string, w io.Writer) error
	Import(ctx context.Context, r io.Reader, opts image.ImportOptions) (digest.Digest, error)
}

func (s *Server) imageRoutes() []route {
	return []route{
		{http.MethodGet, "/images/json", s.listImages},
		{http.MethodGet, "/images/get", s.saveImages},
		{http.MethodGet, "/images/search", s.searchImages},
		{http.MethodPost, "/images/load", s.loadImages},
		{http.MethodPost, "/images/create", s.createImage},
		{http.MethodPost, "/images/prune", s.pruneImages},
		{http.MethodGet, "/images/{name:.*}/json", s.inspectImage},
		{http.MethodGet, "/images/{name:.*}/history", s.imageHistory},
		{http.MethodGet, "/images/{name:.*}/get", s.saveImage},
		{http.MethodPost, "/images/{name:.*}/tag", s.tagImage},
		{http.MethodDelete, "/images/{name:.*}", s.deleteImage},
	}
}

func (s *Server) listImages(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	args, err := parseForm(r)
	if err != nil {
		return err
	}
	// API < 1.41 sent a single reference as `filter`.
	if ref := r.Form.Get("filter"); ref != "" {
		args["reference"] = map[string]bool{ref: true}
	}
	list, err := s.backend.Images.List(ctx, image.ListOptions{
		All:        boolValue(r, "all"),
		Filters:    args,
		SharedSize: boolValue(r, "shared-size"),
		Manifests:  boolValue(r, "manifests"),
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) inspectImage(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	resp, err := s.backend.Images.Inspect(ctx, vars["name"])
	if err != nil {
		return err
	}
	body, err := api.ImageInspectAt(resp, s.backend.Images.ParentOf(resp.ID), versionOf(ctx))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, body)
}

func (s *Server) imageHistory(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	items, err := s.backend.Images.History(ctx, vars["name"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, items)
}

func (s *Server) tagImage(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	if err := s.backend.Images.Tag(ctx, vars["name"], r.Form.Get("repo"), r.Form.Get("tag")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *Server) deleteImage(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	name := strings.TrimSpace(vars["name"])
	if name == "" {
		return errdefs.ErrInvalidArgument.WithMessage("image name cannot be blank")
	}
	resp, err := s.backend.Images.Delete(ctx, name, boolValue(r, "force"), boolValue(r, "noprune"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (s *Server) pruneImages(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	args, err := parseForm(r)
	if err != nil {
		return err
	}
	report, err := s.backend.Images.Prune(ctx, args)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, report)
}

func (s *Server) loadImages(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	out := newProgress(w)
	return out.finish(s.backend.Images.Load(ctx, r.Body, boolValue(r, "quiet"), out))
}

func (s *Server) saveImages(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	return s.save(ctx, w, r.Form["names"])
}

func (s *Server) saveImage(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	return s.save(ctx, w, []string{vars["name"]})
}

// save streams the archive. The 200 goes out with the first byte, so a name
// that resolves to nothing (checked before anything is written) is a 404.
func (s *Server) save(ctx context.Context, w http.ResponseWriter, names []string) error {
	if len(names) == 0 {
		return errdefs.ErrInvalidArgument.WithMessage("no images specified")
	}
	out := &lazyHeaderWriter{w: w, contentType: "application/x-tar"}
	err := s.backend.Images.Save(ctx, names, out)
	if err != nil && out.started {
		// Headers are gone; breaking the stream is the only signal left.
		s.log.Error("image save failed", "names", names, "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// createImage is pull (fromImage) or import (fromSrc).
func (s *Server) createImage(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if _, err := parseForm(r); err != nil {
		return err
	}
	switch {
	case r.Form.Get("fromSrc") != "":
		return s.importImage(ctx, w, r)
	case r.Form.Get("fromImage") != "":
		return s.pullImage(ctx, w, r)
	}
	return errdefs.ErrInvalidArgument.WithMessage("fromImage or fromSrc is required")
}

func (s *Server) importImage(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	src := r.Form.Get("fromSrc")
	opts := image.ImportOptions{
		Repo:     r.Form.Get("repo"),
		Tag:      r.Form.Get("tag"),
		Changes:  r.Form["changes"],
		Message:  r.Form.Get("message"),
		Platform: r.Form.Get("platform"),
	}
	if opts.Message == "" {
		opts.Message = "Imported from " + src // dockerd's default comment
	}
	body := io.Reader(r.Body)
	out := newProgress(w)
	if src != "-" {
		u, err := importURL(src)
		if err != nil {
			return err
		}
		resp, err := download(ctx, u)
		if err != nil {
			return out.finish(err)
		}
		defer resp.Body.Close()
		out.Send(api.Message{Status: "Downloading from " + u.String()})
		body = resp.Body
	}
	id, err := s.backend.Images.Import(ctx, body, opts)
	if err == nil {
		out.Send(api.Message{Status: id.String()})
	}
	return out.finish(err)
}

// importURL is the fromSrc of an import from a URL; without a scheme it is
// http://, as dockerd takes it.
func importURL(src string) (*url.URL, error) {
	if !strings.Contains(src, "://") {
		src = "http://" + src
	}
	u, err := url.Parse(src)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unsupported URL scheme %q in %s", u.Scheme, src))
	}
	return u, nil
}

// download GETs u; a status other than 200 is an error, as with dockerd.
func download(ctx context.Context, u *url.URL) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("failed to GET %s with status %s", u, resp.Status)
	}
	return resp, nil
}
