// Package daemon is berthd's engine core: it holds the services and answers
// for the daemon as a whole (info, version, disk usage, events). Container
// lifecycle orchestration and restore-on-boot live here as they arrive.
package daemon

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/berth/berth/api"
	"github.com/berth/berth/daemon/config"
	"github.com/berth/berth/events"
	"github.com/berth/berth/image"
	"github.com/berth/berth/layer"
	"github.com/moby/moby/api/types/volume"
)

// Version is the engine's release version; GitCommit and BuildTime are set
// at build time with -ldflags -X.
var (
	Version   = "0.1.0"
	GitCommit = ""
	BuildTime = ""
)

// Daemon ties the services together.
type Daemon struct {
	cfg     *config.Config
	id      string
	started time.Time
	images  *image.Service
	ctrs    *Containers
	layers  *layer.Store
	bus     *events.Bus
	log     *slog.Logger

	// defaultRuntime is probed once, on first use, not at start.
	defaultRuntime func() runtimeVersion
}

// New returns the daemon over its services. id is the engine's persistent ID.
func New(cfg *config.Config, id string, images *image.Service, ctrs *Containers, layers *layer.Store, bus *events.Bus, log *slog.Logger) *Daemon {
	d := &Daemon{cfg: cfg, id: id, started: time.Now(), images: images, ctrs: ctrs, layers: layers, bus: bus, log: log}
	d.defaultRuntime = sync.OnceValue(func() runtimeVersion { return probeRuntime(cfg.Runtimes[cfg.DefaultRuntime].Path) })
	return d
}

// Events returns the event bus.
func (d *Daemon) Events() *events.Bus { return d.bus }

// DiskUsage reports what images (and later containers, volumes, build
// cache) take on disk.
func (d *Daemon) DiskUsage(ctx context.Context) (api.DiskUsage, error) {
	imgs, err := d.images.DiskUsage(ctx)
	if err != nil {
		return api.DiskUsage{}, err
	}
	layers, err := d.layers.List()
	if err != nil {
		return api.DiskUsage{}, err
	}
	ctrs, err := d.ctrs.List(ctx, ListOptions{All: true, Size: true})
	if err != nil {
		return api.DiskUsage{}, err
	}
	users := map[string]int64{}
	for _, c := range ctrs {
		users[c.ImageID]++
	}
	for i := range imgs {
		imgs[i].Containers = users[imgs[i].ID]
	}
	du := api.DiskUsage{Images: imgs, Containers: ctrs, Volumes: []*volume.Volume{}}
	for _, l := range layers {
		du.LayersSize += l.Size
	}
	return du, nil
}
