package image

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/berth/berth/api/filters"
	"github.com/containerd/errdefs"
)

// selector holds the parsed filters of list and prune.
type selector struct {
	f            filters.Args
	danglingOnly bool
	before       time.Time // keep images created strictly before (before=, until=)
	since        time.Time // keep images created strictly after (since=)
}

// newSelector parses the list filters; before and since name images.
func newSelector(st *state, f filters.Args) (*selector, error) {
	sel := &selector{f: f}
	var err error
	if sel.danglingOnly, _, err = f.Bool("dangling"); err != nil {
		return nil, err
	}
	for _, name := range f.Values("before") {
		t, err := st.createdOf(name)
		if err != nil {
			return nil, err
		}
		if sel.before.IsZero() || t.Before(sel.before) {
			sel.before = t
		}
	}
	for _, name := range f.Values("since") {
		t, err := st.createdOf(name)
		if err != nil {
			return nil, err
		}
		if t.After(sel.since) {
			sel.since = t
		}
	}
	return sel, sel.parseUntil(f.Values("until"))
}

func (sel *selector) parseUntil(values []string) error {
	now := time.Now()
	for _, v := range values {
		t, err := parseTimestamp(v, now)
		if err != nil {
			return err
		}
		if sel.before.IsZero() || t.Before(sel.before) {
			sel.before = t
		}
	}
	return nil
}

// createdOf is the creation time of the image name designates.
func (st *state) createdOf(name string) (time.Time, error) {
	id, err := st.resolve(name)
	if err != nil {
		return time.Time{}, err
	}
	if c := st.records[id].config.Created; c != nil {
		return *c, nil
	}
	return time.Time{}, nil
}

// keepImage applies the filters on the image itself (not its references).
func (sel *selector) keepImage(st *state, r *record) bool {
	created := r.config.Created
	if !sel.before.IsZero() && (created == nil || !created.Before(sel.before)) {
		return false
	}
	if !sel.since.IsZero() && (created == nil || !created.After(sel.since)) {
		return false
	}
	if sel.danglingOnly && st.children[r.id] > 0 {
		return false
	}
	return sel.f.MatchLabels("label", r.labels())
}

// parseTimestamp reads a filter time the way Docker does: a Go duration
// before now ("10m"), an RFC 3339 date or date-time (with or without zone;
// local time then), or Unix seconds with optional fraction.
func parseTimestamp(value string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(value); err == nil {
		return now.Add(-d), nil
	}
	layouts := []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02Z07:00", "2006-01-02"}
	for _, layout := range layouts {
		if t, err := time.ParseInLocation(layout, value, time.Local); err == nil {
			return t, nil
		}
	}
	sec, frac, _ := strings.Cut(value, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 9 {
		return time.Time{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("failed to parse value as time or duration: %q", value))
	}
	var ns int64
	if frac != "" {
		if ns, err = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64); err != nil {
			return time.Time{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("failed to parse value as time or duration: %q", value))
		}
	}
	return time.Unix(s, ns), nil
}
