package image

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/berth/berth/api/filters"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
)

// ListOptions are the parameters of GET /images/json.
type ListOptions struct {
	All        bool // include intermediate images (untagged parents of other images)
	Filters    filters.Args
	SharedSize bool // compute SharedSize (else -1)
	Manifests  bool // accepted; Berth has no multi-platform store, so nothing is added
}

var listFilters = []string{"dangling", "label", "before", "since", "reference", "until"}

// List returns the images `docker images` shows, newest first.
func (s *Service) List(ctx context.Context, opts ListOptions) ([]image.Summary, error) {
	if err := opts.Filters.Validate(listFilters...); err != nil {
		return nil, err
	}
	st := s.snapshot()
	sel, err := newSelector(st, opts.Filters)
	if err != nil {
		return nil, err
	}
	out := make([]image.Summary, 0, len(st.records))
	for _, r := range st.records {
		if sum, ok := sel.summary(st, r, opts.All); ok {
			out = append(out, sum)
		}
	}
	if opts.SharedSize {
		setSharedSize(st, out)
	}
	slices.SortFunc(out, func(a, b image.Summary) int {
		return cmp.Or(cmp.Compare(b.Created, a.Created), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DiskUsage returns every image with its size and shared size, for
// /system/df. Containers is -1 (not counted).
func (s *Service) DiskUsage(ctx context.Context) ([]image.Summary, error) {
	return s.List(ctx, ListOptions{All: true, SharedSize: true})
}

// summary is the list entry of r, and whether the filters keep it; the
// rules are those of Docker's graphdriver image list.
func (sel *selector) summary(st *state, r *record, all bool) (image.Summary, bool) {
	if !sel.keepImage(st, r) {
		return image.Summary{}, false
	}
	tags, digests := sel.references(st.refs[r.id])
	children := st.children[r.id] > 0
	switch {
	case len(tags) == 0 && len(digests) == 0:
		if children && !all || sel.f.Has("dangling") && !sel.danglingOnly || sel.f.Has("reference") {
			return image.Summary{}, false
		}
	case sel.danglingOnly && len(tags) > 0:
		return image.Summary{}, false
	}
	return image.Summary{
		ID:          r.id.String(),
		ParentID:    st.index.Images[r.id].Parent.String(),
		RepoTags:    tags,
		RepoDigests: digests,
		Created:     r.createdUnix(),
		Size:        r.size,
		SharedSize:  -1,
		Labels:      r.labels(),
		Containers:  -1,
	}, true
}

// references splits refs into familiar tags and digests matching the
// reference filter.
func (sel *selector) references(refs []reference.Named) (tags, digests []string) {
	tags, digests = []string{}, []string{}
	for _, ref := range refs {
		if !sel.matchReference(ref) {
			continue
		}
		if isCanonical(ref) {
			digests = append(digests, reference.FamiliarString(ref))
		} else {
			tags = append(tags, reference.FamiliarString(ref))
		}
	}
	return tags, digests
}

func (sel *selector) matchReference(ref reference.Named) bool {
	if !sel.f.Has("reference") {
		return true
	}
	for _, pattern := range sel.f.Values("reference") {
		if ok, _ := reference.FamiliarMatch(pattern, ref); ok {
			return true
		}
	}
	return false
}

// setSharedSize sets SharedSize: the size of the layers of each image that
// other images use too.
func setSharedSize(st *state, sums []image.Summary) {
	users := map[digest.Digest]int{}
	for _, r := range st.records {
		for _, c := range r.chain {
			users[c]++
		}
	}
	for i := range sums {
		r := st.records[digest.Digest(sums[i].ID)]
		sums[i].SharedSize = 0
		for j, c := range r.chain {
			if users[c] > 1 {
				sums[i].SharedSize += r.sizes[j]
			}
		}
	}
}
