package image

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/storage"
	"github.com/opencontainers/go-digest"
)

// Inspect returns what `docker image inspect` shows of name.
func (s *Service) Inspect(ctx context.Context, name string) (image.InspectResponse, error) {
	st := s.snapshot()
	id, err := st.resolve(name)
	if err != nil {
		return image.InspectResponse{}, err
	}
	r, meta := st.records[id], st.index.Images[id]
	c := r.config
	cfg := c.Config // a copy: the record is shared
	resp := image.InspectResponse{
		ID:           id.String(),
		RepoTags:     st.repoTags(id),
		RepoDigests:  st.repoDigests(id),
		Comment:      comment(c),
		Author:       c.Author,
		Config:       &cfg,
		Architecture: c.Architecture,
		Variant:      c.Variant,
		Os:           c.OS,
		OsVersion:    c.OSVersion,
		Size:         r.size,
		GraphDriver:  s.graphDriver(r),
		RootFS:       image.RootFS{Type: c.RootFS.Type},
		Metadata:     image.Metadata{LastTagTime: meta.LastTagTime},
	}
	if resp.Os == "" {
		resp.Os = "linux"
	}
	if c.Created != nil {
		resp.Created = c.Created.Format(time.RFC3339Nano)
	}
	for _, d := range c.RootFS.DiffIDs {
		resp.RootFS.Layers = append(resp.RootFS.Layers, d.String())
	}
	return resp, nil
}

// comment is the config's comment, else the last history entry's (Docker).
func comment(c *imageConfig) string {
	if c.Comment == "" && len(c.History) > 0 {
		return c.History[len(c.History)-1].Comment
	}
	return c.Comment
}

// graphDriver describes the image's layers the way Docker's overlay2 driver
// does: the top layer is UpperDir, its parents (nearest first) LowerDir.
func (s *Service) graphDriver(r *record) *storage.DriverData {
	dd := &storage.DriverData{Name: "overlay2", Data: map[string]string{}}
	var dirs []string
	for _, c := range slices.Backward(r.chain) {
		dir, err := s.layers.Dir(c)
		if err != nil {
			return dd
		}
		dirs = append(dirs, dir)
	}
	if len(dirs) == 0 {
		return dd
	}
	top := filepath.Dir(dirs[0])
	dd.Data["UpperDir"] = dirs[0]
	dd.Data["MergedDir"] = filepath.Join(top, "merged")
	dd.Data["WorkDir"] = filepath.Join(top, "work")
	if len(dirs) > 1 {
		dd.Data["LowerDir"] = strings.Join(dirs[1:], ":")
	}
	return dd
}

// History returns the image's history, newest first, as `docker history`
// shows it: sizes for the entries that made a layer, the image ID and tags
// on the top entry and on those of its local parents, "<missing>" elsewhere.
func (s *Service) History(ctx context.Context, name string) ([]image.HistoryResponseItem, error) {
	st := s.snapshot()
	id, err := st.resolve(name)
	if err != nil {
		return nil, err
	}
	r := st.records[id]
	out := []image.HistoryResponseItem{}
	layerIdx := 0
	for _, h := range r.config.History {
		item := image.HistoryResponseItem{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment}
		if h.Created != nil {
			item.Created = h.Created.Unix()
		}
		if !h.EmptyLayer {
			if layerIdx >= len(r.sizes) {
				return nil, fmt.Errorf("too many non-empty layers in History section")
			}
			item.Size = r.sizes[layerIdx]
			layerIdx++
		}
		out = append(out, item)
	}
	slices.Reverse(out)
	for i := range out {
		out[i].ID = id.String()
		if tags := st.repoTags(id); len(tags) > 0 {
			out[i].Tags = tags
		}
		id = st.index.Images[id].Parent
		if _, ok := st.records[id]; !ok {
			break
		}
	}
	return out, nil
}

// ParentOf is the local parent of image id (a commit's or build step's
// base), "" if it has none or is unknown.
func (s *Service) ParentOf(id string) string {
	return s.snapshot().index.Images[digest.Digest(id)].Parent.String()
}
