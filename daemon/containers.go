package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/berth/berth/container"
	"github.com/berth/berth/daemon/config"
	"github.com/berth/berth/events"
	"github.com/berth/berth/image"
	"github.com/berth/berth/layer"
	"github.com/berth/berth/network"
	"github.com/berth/berth/runtime/spec"
	"github.com/berth/berth/volume"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
	networktypes "github.com/moby/moby/api/types/network"
	"github.com/opencontainers/go-digest"
)

// Containers runs the container lifecycle: create, start, stop, wait,
// remove, attach, logs and exec, through one shim per running container.
type Containers struct {
	cfg      *config.Config
	store    *container.Store
	images   *image.Service
	layers   *layer.Store
	bus      *events.Bus
	log      *slog.Logger
	shimPath string           // the berth-shim binary
	initPath string           // the init binary for --init
	net      *network.Manager // the default bridge
	vols     *volume.Store

	// mu guards live, waiters and pending.
	mu      sync.Mutex
	live    map[string]*liveContainer // by container ID, while a shim runs
	waiters map[string][]waiter
	pending map[string][]*pendingAttach // attaches waiting for a start

	execs execs

	// exitedLogs tells the log compressor which container just exited.
	exitedLogs chan string
}

// ContainersOptions are the paths Containers needs besides its services.
type ContainersOptions struct {
	ShimPath string
	InitPath string
	Network  *network.Manager
	Volumes  *volume.Store
}

// NewContainers restores the containers under <data-root>/containers:
// running ones are reconnected to their shims, ones that ended while the
// daemon was down get their exit recorded.
func NewContainers(cfg *config.Config, images *image.Service, layers *layer.Store, bus *events.Bus, opts ContainersOptions, log *slog.Logger) (*Containers, error) {
	store, err := container.NewStore(filepath.Join(cfg.DataRoot, "containers"))
	if err != nil {
		return nil, err
	}
	cs := &Containers{cfg: cfg, store: store, images: images, layers: layers, bus: bus, log: log,
		shimPath: opts.ShimPath, initPath: opts.InitPath, net: opts.Network, vols: opts.Volumes, live: map[string]*liveContainer{}, waiters: map[string][]waiter{}, pending: map[string][]*pendingAttach{}, execs: execs{byID: map[string]*execInstance{}}}
	images.SetContainerChecker(cs.imageUser)
	cs.exitedLogs = make(chan string, 64)
	cs.restore()
	go cs.compressLogs(context.Background(), cs.exitedLogs)
	return cs, nil
}

// imageUser tells the image service which container uses an image.
func (cs *Containers) imageUser(id digest.Digest) (string, bool) {
	var stopped string
	for _, c := range cs.store.List() {
		c.Lock()
		img, running, cid := c.Image, c.State.IsRunning(), c.ID
		c.Unlock()
		if img != id {
			continue
		}
		if running {
			return cid, true
		}
		stopped = cid
	}
	return stopped, false
}

// Count returns how many containers exist, run and are paused.
func (cs *Containers) Count() (total, running, paused int) {
	for _, c := range cs.store.List() {
		c.Lock()
		switch c.State.Status {
		case containertypes.StateRunning:
			running++
		case containertypes.StatePaused:
			paused++
		}
		c.Unlock()
		total++
	}
	return total, running, paused
}

// Create makes a container from an image, as POST /containers/create.
func (cs *Containers) Create(ctx context.Context, name string, req containertypes.CreateRequest, platform string) (containertypes.CreateResponse, error) {
	if req.Config == nil {
		return containertypes.CreateResponse{}, errdefs.ErrInvalidArgument.WithMessage("config cannot be empty in order to create a container")
	}
	cfg := *req.Config
	hc := req.HostConfig
	if hc == nil {
		hc = &containertypes.HostConfig{}
	}
	if err := checkSupported(hc, req.NetworkingConfig); err != nil {
		return containertypes.CreateResponse{}, err
	}
	if platform != "" && !strings.HasPrefix(platform, "linux") {
		return containertypes.CreateResponse{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("image platform %q is not supported on this host (linux/%s)", platform, runtime.GOARCH))
	}
	if cfg.Image == "" {
		return containertypes.CreateResponse{}, errdefs.ErrInvalidArgument.WithMessage("No image specified")
	}
	imgID, err := cs.images.Resolve(ctx, cfg.Image)
	if err != nil {
		return containertypes.CreateResponse{}, err
	}
	img, err := cs.images.Inspect(ctx, imgID.String())
	if err != nil {
		return containertypes.CreateResponse{}, err
	}
	if err := spec.MergeImageConfig(&cfg, img.Config); err != nil {
		return containertypes.CreateResponse{}, err
	}
	runtimeName := hc.Runtime
	if runtimeName == "" {
		runtimeName = cs.cfg.DefaultRuntime
	}
	if _, ok := cs.cfg.Runtimes[runtimeName]; !ok {
		return containertypes.CreateResponse{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unknown or invalid runtime name: %s", runtimeName))
	}
	hc.Runtime = runtimeName
	if hc.LogConfig.Type == "" {
		hc.LogConfig.Type = "json-file"
	}
	if err := checkLogConfig(hc.LogConfig); err != nil {
		return containertypes.CreateResponse{}, err
	}
	if name == "" {
		name = container.GenerateName()
	} else if err := container.ValidateName(name); err != nil {
		return containertypes.CreateResponse{}, err
	} else if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	var chain digest.Digest
	if layers := img.RootFS.Layers; len(layers) > 0 {
		diffIDs := make([]digest.Digest, len(layers))
		for i, l := range layers {
			diffIDs[i] = digest.Digest(l)
		}
		chain = layer.ChainID(diffIDs)
	}
	id := container.GenerateID()
	if cfg.Hostname == "" {
		cfg.Hostname = id[:12]
	}
	path, args := spec.Command(&cfg)
	c := &container.Container{
		ID: id, Name: name, Created: time.Now().UTC(), Path: path, Args: args, Config: &cfg, HostConfig: hc,
		Image: imgID, ImageRef: req.Config.Image, ChainID: chain, Runtime: runtimeName,
		State: container.State{Status: containertypes.StateCreated},
	}
	if hc.LogConfig.Type == "json-file" {
		c.LogPath = filepath.Join(cs.store.Dir(id), id+"-json.log")
	}
	if c.Mounts, err = cs.resolveMounts(ctx, id, hc, cfg.Volumes); err != nil {
		return containertypes.CreateResponse{}, err
	}
	if err := cs.layers.CreateRW(id, chain); err != nil {
		cs.releaseMounts(id, true)
		return containertypes.CreateResponse{}, err
	}
	if err := cs.store.Add(c); err != nil {
		_ = cs.layers.RemoveRW(id)
		cs.releaseMounts(id, true)
		return containertypes.CreateResponse{}, err
	}
	cs.publish(c, eventtypes.ActionCreate, nil)
	return containertypes.CreateResponse{ID: id, Warnings: []string{}}, nil
}

// checkSupported refuses what belongs to areas not built yet, so that
// nothing is silently ignored.
func checkSupported(hc *containertypes.HostConfig, nc *networktypes.NetworkingConfig) error {
	notYet := func(what string) error {
		return errdefs.ErrNotImplemented.WithMessage(what + " is not supported by Berth yet")
	}
	switch {
	case len(hc.VolumesFrom) > 0:
		return notYet("--volumes-from")
	case len(hc.PortBindings) > 0 || hc.PublishAllPorts:
		return notYet("publishing ports")
	case len(hc.Links) > 0:
		return notYet("--link")
	case hc.NetworkMode.IsContainer():
		return notYet("--network container:<name>")
	case hc.NetworkMode != "" && !hc.NetworkMode.IsDefault() && !hc.NetworkMode.IsBridge() && !hc.NetworkMode.IsNone() && !hc.NetworkMode.IsHost():
		return notYet("user-defined networks")
	case hc.RestartPolicy.Name != "" && hc.RestartPolicy.Name != containertypes.RestartPolicyDisabled:
		return notYet("restart policies")
	case len(hc.Devices) > 0 || len(hc.DeviceRequests) > 0:
		return notYet("--device")
	case hc.PidMode != "" || hc.IpcMode != "" && hc.IpcMode != "private" && hc.IpcMode != "shareable" || hc.UTSMode != "" || hc.UsernsMode != "":
		return notYet("sharing pid, ipc, uts or user namespaces")
	}
	if nc != nil {
		for name := range nc.EndpointsConfig {
			if name != "default" && name != "bridge" && name != "none" && name != "host" {
				return notYet("user-defined networks")
			}
		}
	}
	return nil
}

func checkLogConfig(lc containertypes.LogConfig) error {
	switch lc.Type {
	case "json-file", "none":
		return nil
	case "local":
		_, err := parseLocalLogOptions(lc.Config)
		return err
	}
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("failed to create container: logger: no log driver named '%s' is registered", lc.Type))
}

// publish sends a container event with Docker's attributes: name, image
// and the container's labels.
func (cs *Containers) publish(c *container.Container, action eventtypes.Action, extra map[string]string) {
	c.Lock()
	defer c.Unlock()
	cs.publishLocked(c, action, extra)
}

// Shutdown stops every running container unless live restore keeps them
// running while the daemon is away (the default).
func (cs *Containers) Shutdown(ctx context.Context) {
	if cs.cfg.LiveRestore {
		return
	}
	var wg sync.WaitGroup
	for _, c := range cs.store.List() {
		cs.mu.Lock()
		lc := cs.live[c.ID]
		cs.mu.Unlock()
		if lc == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cs.stop(ctx, c, lc, nil, ""); err != nil {
				cs.log.Warn("stopping container at shutdown", "container", c.ID, "err", err)
			}
		}()
	}
	wg.Wait()
}

// resolveMounts turns -v, --mount, --tmpfs and the image's VOLUMEs into
// mounts, creating the volumes they name and taking references on them.
func (cs *Containers) resolveMounts(ctx context.Context, id string, hc *containertypes.HostConfig, imageVolumes map[string]struct{}) ([]volume.Mount, error) {
	if cs.vols == nil {
		if len(hc.Binds) > 0 || len(hc.Mounts) > 0 || len(imageVolumes) > 0 {
			return nil, errdefs.ErrNotImplemented.WithMessage("volumes are not available in this daemon")
		}
		return nil, nil
	}
	return cs.vols.Resolve(ctx, id, hc, imageVolumes)
}

// releaseMounts drops the container's volume references; removeAnonymous
// also removes its anonymous volumes (rm -v, --rm).
func (cs *Containers) releaseMounts(id string, removeAnonymous bool) {
	if cs.vols == nil {
		return
	}
	if err := cs.vols.Release(id, removeAnonymous); err != nil {
		cs.log.Warn("releasing volumes", "container", id, "err", err)
	}
}
