package api

import (
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/volume"
)

// DiskUsage is the body of GET /system/df up to API 1.51 (the versions
// Berth serves); moby's api module only has the 1.52+ shape.
type DiskUsage struct {
	LayersSize int64
	Images     []image.Summary
	Containers []container.Summary
	Volumes    []*volume.Volume
	BuildCache []*build.CacheRecord
}

// EventMessage is an event as API versions before 1.52 send it: the
// message plus the legacy status, id and from fields.
type EventMessage struct {
	Status string `json:"status,omitempty"`
	ID     string `json:"id,omitempty"`
	From   string `json:"from,omitempty"`
	events.Message
}

// LegacyEvent adds the pre-1.52 fields to m.
func LegacyEvent(m events.Message) EventMessage {
	e := EventMessage{Message: m}
	if m.Type == events.ContainerEventType || m.Type == events.ImageEventType || m.Type == "" {
		e.Status = string(m.Action)
		e.ID = m.Actor.ID
		if m.Type == events.ContainerEventType {
			e.From = m.Actor.Attributes["image"]
		}
	}
	return e
}
