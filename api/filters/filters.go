// Package filters parses the `filters` query parameter of the Docker API and
// answers the questions list endpoints ask of it.
//
// The docker CLI sends a JSON map of maps, {"key":{"value":true}}; older
// clients send {"key":["value"]}. Both parse to the same Args.
package filters

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
)

// Args maps a filter key to the set of values given for it.
type Args map[string]map[string]bool

// Parse decodes the filters query parameter. An empty string gives no filters.
func Parse(s string) (Args, error) {
	args := Args{}
	if s == "" {
		return args, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("invalid filter: " + err.Error())
	}
	for key, v := range raw {
		set := map[string]bool{}
		var asMap map[string]bool
		var asList []string
		switch {
		case json.Unmarshal(v, &asMap) == nil:
			for k, ok := range asMap {
				if ok {
					set[k] = true
				}
			}
		case json.Unmarshal(v, &asList) == nil:
			for _, k := range asList {
				set[k] = true
			}
		default:
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter %q", key))
		}
		args[key] = set
	}
	return args, nil
}

// Validate fails with Docker's message for the first key not in accepted.
func (a Args) Validate(accepted ...string) error {
	for key := range a {
		if !slices.Contains(accepted, key) {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter '%s'", key))
		}
	}
	return nil
}

// Has reports whether key was given at all.
func (a Args) Has(key string) bool { return len(a[key]) > 0 }

// Values returns the values of key, sorted.
func (a Args) Values(key string) []string {
	vals := make([]string, 0, len(a[key]))
	for v := range a[key] {
		vals = append(vals, v)
	}
	slices.Sort(vals)
	return vals
}

// Match reports whether value is one of key's values, or key is absent.
func (a Args) Match(key, value string) bool {
	if !a.Has(key) {
		return true
	}
	return a[key][value]
}

// MatchPrefix reports whether value starts with one of key's values (IDs), or key is absent.
func (a Args) MatchPrefix(key, value string) bool {
	if !a.Has(key) {
		return true
	}
	for v := range a[key] {
		if strings.HasPrefix(value, v) {
			return true
		}
	}
	return false
}

// MatchGlob reports whether value matches one of key's values as a shell
// pattern (path.Match), or key is absent.
func (a Args) MatchGlob(key, value string) bool {
	if !a.Has(key) {
		return true
	}
	for v := range a[key] {
		if ok, _ := path.Match(v, value); ok {
			return true
		}
	}
	return false
}

// MatchLabels reports whether labels satisfy every `label` value ("k" or
// "k=v"; "k!=v" requires the label to differ), the way Docker filters labels.
// Pass key "label" or "label!" style keys explicitly.
func (a Args) MatchLabels(key string, labels map[string]string) bool {
	for want := range a[key] {
		if !matchLabel(want, labels) {
			return false
		}
	}
	return true
}

func matchLabel(want string, labels map[string]string) bool {
	if k, v, ok := strings.Cut(want, "!="); ok {
		got, present := labels[k]
		return !present || got != v
	}
	k, v, hasValue := strings.Cut(want, "=")
	got, present := labels[k]
	if !present {
		return false
	}
	return !hasValue || got == v
}

// Bool returns the boolean value of key (dangling=true), and whether it was
// given. Docker accepts "true"/"1" and "false"/"0"; anything else is invalid.
func (a Args) Bool(key string) (value, given bool, err error) {
	vals := a.Values(key)
	if len(vals) == 0 {
		return false, false, nil
	}
	if len(vals) > 1 {
		return false, true, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter '%s': only one value allowed", key))
	}
	switch strings.ToLower(vals[0]) {
	case "true", "1":
		return true, true, nil
	case "false", "0":
		return false, true, nil
	}
	return false, true, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter '%s=%s'", key, vals[0]))
}
