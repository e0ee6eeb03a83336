package cli

import (
	"fmt"
	"strconv"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/volume"
)

// volumeHeaders are the column titles of volume tables.
var volumeHeaders = map[string]string{
	"Name":         "VOLUME NAME",
	"Driver":       "DRIVER",
	"Scope":        "SCOPE",
	"Mountpoint":   "MOUNTPOINT",
	"Labels":       "LABELS",
	"Links":        "LINKS",
	"Size":         "SIZE",
	"Group":        "GROUP",
	"Availability": "AVAILABILITY",
	"Status":       "STATUS",
}

// volumeRow is one volume of a list; its methods are the fields a --format
// template can use, as in "docker volume ls".
type volumeRow struct{ v volume.Volume }

func (r *volumeRow) MarshalJSON() ([]byte, error) { return marshalMethods(r) }

func (r *volumeRow) Name() string       { return r.v.Name }
func (r *volumeRow) Driver() string     { return r.v.Driver }
func (r *volumeRow) Scope() string      { return r.v.Scope }
func (r *volumeRow) Mountpoint() string { return r.v.Mountpoint }
func (r *volumeRow) Labels() string     { return joinLabels(r.v.Labels) }

// Label is the value of one label, for templates: {{.Label "name"}}.
func (r *volumeRow) Label(name string) string { return r.v.Labels[name] }

// Links is the number of containers using the volume.
func (r *volumeRow) Links() string {
	if r.v.UsageData == nil {
		return "N/A"
	}
	return strconv.FormatInt(r.v.UsageData.RefCount, 10)
}

func (r *volumeRow) Size() string {
	if r.v.UsageData == nil || r.v.UsageData.Size == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(r.v.UsageData.Size))
}

// Group, Availability and Status describe cluster volumes; "N/A" for
// local ones.

func (r *volumeRow) Group() string {
	if r.v.ClusterVolume == nil {
		return "N/A"
	}
	return r.v.ClusterVolume.Spec.Group
}

func (r *volumeRow) Availability() string {
	if r.v.ClusterVolume == nil {
		return "N/A"
	}
	return string(r.v.ClusterVolume.Spec.Availability)
}

func (r *volumeRow) Status() string {
	cv := r.v.ClusterVolume
	switch {
	case cv == nil:
		return "N/A"
	case cv.Info == nil || cv.Info.VolumeID == "":
		return "pending creation"
	case len(cv.PublishStatus) == 0:
		return "created"
	case len(cv.PublishStatus) == 1:
		return "in use (1 node)"
	}
	return fmt.Sprintf("in use (%d nodes)", len(cv.PublishStatus))
}
