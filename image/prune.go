package image

import (
	"context"
	"slices"
	"strconv"

	"github.com/berth/berth/api/filters"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
)

var pruneFilters = []string{"dangling", "label", "label!", "until"}

// Prune deletes unused images, as POST /images/prune: by default only
// dangling ones (no tag), with dangling=false every image no container
// uses. label, label! and until narrow the choice.
func (s *Service) Prune(ctx context.Context, f filters.Args) (image.PruneReport, error) {
	if !s.pruning.CompareAndSwap(false, true) {
		return image.PruneReport{}, errdefs.ErrConflict.WithMessage("a prune operation is already running")
	}
	defer s.pruning.Store(false)
	if err := f.Validate(pruneFilters...); err != nil {
		return image.PruneReport{}, err
	}
	danglingOnly, given, err := f.Bool("dangling")
	if err != nil {
		return image.PruneReport{}, err
	}
	danglingOnly = danglingOnly || !given
	sel := &selector{f: f}
	if until := f.Values("until"); len(until) > 1 {
		return image.PruneReport{}, errdefs.ErrInvalidArgument.WithMessage("more than one until filter specified")
	} else if err := sel.parseUntil(until); err != nil {
		return image.PruneReport{}, err
	}
	var rep image.PruneReport
	for _, name := range s.pruneCandidates(sel, danglingOnly) {
		if ctx.Err() != nil {
			break
		}
		resp, freed, err := s.delete(name, false, true)
		if err != nil {
			continue // in use, or gone meanwhile: Docker skips it too
		}
		rep.ImagesDeleted = append(rep.ImagesDeleted, resp...)
		rep.SpaceReclaimed += uint64(freed)
	}
	if s.bus != nil {
		s.bus.Publish(eventtypes.ImageEventType, eventtypes.ActionPrune, "",
			map[string]string{"reclaimed": strconv.FormatUint(rep.SpaceReclaimed, 10)})
	}
	return rep, nil
}

// pruneCandidates returns what to delete: references of tagged images when
// all unused images go (or of images that have only digests), IDs of
// untagged images. Untagged parents of other images are left to go with
// their children.
func (s *Service) pruneCandidates(sel *selector, danglingOnly bool) []string {
	st := s.snapshot()
	var names []string
	for id, r := range st.records {
		refs, children := st.refs[id], st.children[id] > 0
		if children && (danglingOnly || len(refs) == 0) {
			continue
		}
		if !sel.keepImage(st, r) || sel.f.Has("label!") && sel.f.MatchLabels("label!", r.labels()) {
			continue
		}
		if len(refs) == 0 {
			names = append(names, id.Encoded())
			continue
		}
		if danglingOnly && slices.ContainsFunc(refs, func(r reference.Named) bool { return !isCanonical(r) }) {
			continue
		}
		for _, ref := range refs {
			names = append(names, ref.String())
		}
	}
	slices.Sort(names)
	return names
}
