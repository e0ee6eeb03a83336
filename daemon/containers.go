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
	ports    *network.Ports   // published ports; nil without a bridge
	vols     *volume.Store

	// mu guards live, waiters and pending.
	mu      sync.Mutex
	live    map[string]*liveContainer // by container ID, while a shim runs
	waiters map[string][]waiter
	pending map[string][]*pendingAttach // attaches waiting for a start

	execs execs
	sup   supervision // restart managers and health monitors; mu guards it

	// exitedLogs tells the log compressor which container just exited.
	exitedLogs chan string
}

// ContainersOptions are the paths Containers needs besides its services.
type ContainersOptions struct {
	ShimPath string
	InitPath string
	Network  *network.Manager
	Ports    *network.Ports
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
		shimPath: opts.ShimPath, initPath: opts.InitPath, net: opts.Network, ports: opts.Ports, vols: opts.Volumes, live: map[string]*liveContainer{}, waiters: map[string][]waiter{}, pending: map[string][]*pendingAttach{}, execs: execs{byID: map[string]*execInstance{}}}
	images.SetContainerChecker(cs.imageUser)
	cs.exitedLogs = make(chan string, 64)
	if opts.Volumes != nil {
		opts.Volumes.SetPublisher(cs.publishVolume)
	}
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
	if err := checkNamespaceModes(&cfg, hc); err != nil {
		return containertypes.CreateResponse{}, err
	}
	if err := spec.CheckHostConfig(hc); err != nil {
		return containertypes.CreateResponse{}, err
	}
	netCfg, err := cs.checkNetworkSettings(hc, req.NetworkingConfig, &cfg)
	if err != nil {
		return containertypes.CreateResponse{}, err
	}
	if hc.Links, err = cs.registerLinks(hc); err != nil {
		return containertypes.CreateResponse{}, err
	}
	if err := validateRestartPolicy(hc); err != nil {
		return containertypes.CreateResponse{}, err
	}
	if err := validateHealthcheck(cfg.Healthcheck); err != nil {
		return containertypes.CreateResponse{}, err
	}
	warnings, err := verifyCreateResources(hc)
	if err != nil {
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
	if name != "" { // else the store picks a free random name
		if err := container.ValidateName(name); err != nil {
			return containertypes.CreateResponse{}, err
		}
		if !strings.HasPrefix(name, "/") {
			name = "/" + name
		}
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
	c.NetworkConfig = netCfg
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
	return containertypes.CreateResponse{ID: id, Warnings: warnings}, nil
}

// checkSupported refuses what belongs to areas not built yet, so that
// nothing is silently ignored.
func checkSupported(hc *containertypes.HostConfig, nc *networktypes.NetworkingConfig) error {
	notYet := func(what string) error {
		return errdefs.ErrNotImplemented.WithMessage(what + " is not supported by Berth yet")
	}
	switch {
	case len(hc.DeviceRequests) > 0:
		return notYet("--gpus (device requests)")
	}
	if err := checkPortBindings(hc); err != nil {
		return err
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
	cs.mu.Lock()
	cs.sup.shuttingDown = true // no restarts now; stops are not manual
	cs.mu.Unlock()
	if cs.cfg.LiveRestore {
		return
	}
	// Each container gets its own stop timeout, then SIGKILL, as with
	// dockerd: the caller's deadline (the API server's) must not cut the
	// wait short and leave containers running.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cs.longestStopTimeout()+killTimeout)
	defer cancel()
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

// longestStopTimeout is the longest time a stop of a running container may
// wait before its SIGKILL.
func (cs *Containers) longestStopTimeout() time.Duration {
	longest := defaultStopTimeout
	for _, c := range cs.store.List() {
		c.Lock()
		if t := c.Config.StopTimeout; t != nil && *t > longest {
			longest = *t
		}
		c.Unlock()
	}
	return time.Duration(longest) * time.Second
}

// resolveMounts turns -v, --mount, --tmpfs and the image's VOLUMEs into
// mounts, creating the volumes they name and taking references on them.
func (cs *Containers) resolveMounts(ctx context.Context, id string, hc *containertypes.HostConfig, imageVolumes map[string]struct{}) ([]volume.Mount, error) {
	if cs.vols == nil {
		if len(hc.Binds) > 0 || len(hc.Mounts) > 0 || len(imageVolumes) > 0 || len(hc.VolumesFrom) > 0 {
			return nil, errdefs.ErrNotImplemented.WithMessage("volumes are not available in this daemon")
		}
		return nil, nil
	}
	inherited, err := cs.inheritedMounts(hc)
	if err != nil {
		return nil, err
	}
	return cs.vols.ResolveWith(ctx, id, hc, imageVolumes, inherited)
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
