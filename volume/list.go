package volume

import (
	"context"
	"regexp"
	"strings"

	"github.com/berth/berth/api/filters"
	"github.com/moby/moby/api/types/volume"
)

// ListOptions select the volumes of a list.
type ListOptions struct {
	// Filters: dangling, name, label, driver, as Docker's.
	Filters filters.Args
	// Usage fills UsageData (reference count and size), as system df asks.
	Usage bool
}

// List returns the volumes that match the filters, ordered by name.
func (s *Store) List(_ context.Context, opts ListOptions) ([]volume.Volume, error) {
	f := opts.Filters
	if err := f.Validate("dangling", "name", "label", "driver"); err != nil {
		return nil, err
	}
	dangling, byDangling, err := f.Bool("dangling")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []volume.Volume{}
	for _, e := range s.sortedLocked() {
		switch {
		case byDangling && (len(e.refs) == 0) != dangling,
			!matchName(f, e.name),
			!f.Match("driver", e.meta.Driver),
			!f.MatchLabels("label", e.meta.Labels):
			continue
		}
		out = append(out, s.toAPI(e, opts.Usage))
	}
	return out, nil
}

// matchName is Docker's name filter: a substring, or a regular expression.
func matchName(f filters.Args, name string) bool {
	if !f.Has("name") {
		return true
	}
	for want := range f["name"] {
		if strings.Contains(name, want) {
			return true
		}
		if re, err := regexp.Compile(want); err == nil && re.MatchString(name) {
			return true
		}
	}
	return false
}

// Prune removes unused volumes: anonymous ones only, unless the filter
// all=true is given (Docker 23+), and only those whose labels match the
// label and label! filters.
func (s *Store) Prune(_ context.Context, f filters.Args) (volume.PruneReport, error) {
	if err := f.Validate("label", "label!", "all"); err != nil {
		return volume.PruneReport{}, err
	}
	all, _, err := f.Bool("all")
	if err != nil {
		return volume.PruneReport{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	report := volume.PruneReport{VolumesDeleted: []string{}}
	for _, e := range s.sortedLocked() {
		if len(e.refs) > 0 || !all && !e.anonymous() || !pruneLabelsMatch(f, e.meta.Labels) {
			continue
		}
		size := dirSize(s.Mountpoint(e.name))
		if err := s.removeLocked(e); err != nil {
			s.log.Warn("prune: cannot remove volume", "name", e.name, "err", err)
			continue
		}
		report.VolumesDeleted = append(report.VolumesDeleted, e.name)
		if size > 0 {
			report.SpaceReclaimed += uint64(size)
		}
	}
	return report, nil
}

// pruneLabelsMatch applies label (all must hold) and label! (none may
// hold) as Docker's prune does.
func pruneLabelsMatch(f filters.Args, labels map[string]string) bool {
	if !f.MatchLabels("label", labels) {
		return false
	}
	for want := range f["label!"] {
		if f := (filters.Args{"label": {want: true}}); f.MatchLabels("label", labels) {
			return false
		}
	}
	return true
}
