package events

import (
	"github.com/berth/berth/api/filters"
	"github.com/moby/moby/api/types/events"
)

// acceptedFilters are the keys `GET /events` understands.
var acceptedFilters = []string{"config", "container", "daemon", "event", "image", "label", "network", "node", "plugin", "scope", "secret", "service", "type", "volume"}

// Filter selects events by the keys of `docker events --filter`.
type Filter struct{ args filters.Args }

// NewFilter validates args and returns the filter they describe.
func NewFilter(args filters.Args) (Filter, error) {
	if err := args.Validate(acceptedFilters...); err != nil {
		return Filter{}, err
	}
	return Filter{args: args}, nil
}

// Match reports whether msg passes every given filter key.
func (f Filter) Match(msg events.Message) bool {
	a := f.args
	name := msg.Actor.Attributes["name"]
	matchObject := func(key string, typ events.Type) bool {
		if !a.Has(key) {
			return true
		}
		return msg.Type == typ && (a.Match(key, name) || a.MatchPrefix(key, msg.Actor.ID))
	}
	return a.Match("type", string(msg.Type)) &&
		a.Match("event", string(msg.Action)) &&
		a.Match("scope", msg.Scope) &&
		a.MatchLabels("label", msg.Actor.Attributes) &&
		matchObject("container", events.ContainerEventType) &&
		f.matchImage(msg) &&
		matchObject("network", events.NetworkEventType) &&
		matchObject("volume", events.VolumeEventType) &&
		matchObject("daemon", events.DaemonEventType)
}

// matchImage matches image events by ID or name, and container events by
// the image they run, as `docker events --filter image=x` does.
func (f Filter) matchImage(msg events.Message) bool {
	a := f.args
	if !a.Has("image") {
		return true
	}
	switch msg.Type {
	case events.ImageEventType:
		return a.Match("image", msg.Actor.Attributes["name"]) || a.MatchPrefix("image", msg.Actor.ID)
	case events.ContainerEventType:
		return a.Match("image", msg.Actor.Attributes["image"])
	}
	return false
}
