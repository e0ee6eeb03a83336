package events

import (
	"strings"

	"github.com/berth/berth/api/filters"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
)

// Filter selects events by the keys of `docker events --filter`, with
// Docker's matching rules.
type Filter struct{ args filters.Args }

// NewFilter returns the filter args describe. Like Docker, it accepts any
// key: one it does not know filters nothing.
func NewFilter(args filters.Args) (Filter, error) {
	return Filter{args: args}, nil
}

// objectKeys are the keys that select an object by a prefix of its ID or
// name. As in Docker they do not look at the event's type: container=web
// passes an event of any type whose actor's name starts with web.
var objectKeys = []events.Type{events.ContainerEventType, events.DaemonEventType, events.PluginEventType,
	events.VolumeEventType, events.NetworkEventType, events.ServiceEventType, events.NodeEventType,
	events.SecretEventType, events.ConfigEventType}

// Match reports whether msg passes every given filter key.
func (f Filter) Match(msg events.Message) bool {
	a := f.args
	if !f.matchEvent(msg) || !a.Match("type", string(msg.Type)) || !a.Match("scope", msg.Scope) ||
		!a.MatchLabels("label", msg.Actor.Attributes) || !f.matchImage(msg) {
		return false
	}
	for _, key := range objectKeys {
		k := string(key)
		if a.Has(k) && !a.MatchPrefix(k, msg.Actor.ID) && !a.MatchPrefix(k, msg.Actor.Attributes["name"]) {
			return false
		}
	}
	return true
}

// matchEvent matches the action exactly, or by prefix when a value is one
// of the actions Docker words with a suffix ("health_status: healthy",
// "exec_start: sh -c true").
func (f Filter) matchEvent(msg events.Message) bool {
	for _, v := range f.args.Values("event") {
		if v == "health_status" || v == "exec_create" || v == "exec_start" {
			return f.args.MatchPrefix("event", string(msg.Action))
		}
	}
	return f.args.Match("event", string(msg.Action))
}

// matchImage matches image events by ID or name and other events by the
// image attribute (a container's image), each also without its tag, as
// `docker events --filter image=x` does.
func (f Filter) matchImage(msg events.Message) bool {
	a := f.args
	if !a.Has("image") {
		return true
	}
	name := msg.Actor.Attributes["image"]
	if msg.Type == events.ImageEventType {
		name = msg.Actor.Attributes["name"]
	}
	for _, v := range []string{msg.Actor.ID, name, withoutTag(msg.Actor.ID), withoutTag(name)} {
		if v != "" && a.Match("image", v) {
			return true
		}
	}
	return false
}

// withoutTag is an image reference's familiar name without tag or digest.
func withoutTag(image string) string {
	if image == "" || strings.HasPrefix(image, "sha256:") {
		return image
	}
	ref, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return image
	}
	return reference.FamiliarName(ref)
}
