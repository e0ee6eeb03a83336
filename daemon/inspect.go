package daemon

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth/berth/api/filters"
	"github.com/berth/berth/container"
	"github.com/berth/berth/volume"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/storage"
)

// ListOptions are the parameters of GET /containers/json.
type ListOptions struct {
	All     bool
	Limit   int
	Size    bool
	Filters filters.Args
}

var listFilters = []string{"id", "name", "label", "status", "ancestor", "before", "since", "exited", "is-task", "network", "volume", "health", "publish", "expose", "isolation"}

// List answers GET /containers/json: running containers, or all with All,
// newest first, filtered as Docker filters.
func (cs *Containers) List(ctx context.Context, opts ListOptions) ([]containertypes.Summary, error) {
	f := opts.Filters
	if err := f.Validate(listFilters...); err != nil {
		return nil, err
	}
	for _, st := range f.Values("status") {
		if err := containertypes.ValidateContainerState(containertypes.ContainerState(st)); err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter 'status=%s'", st))
		}
	}
	for _, h := range f.Values("health") {
		if err := containertypes.ValidateHealthStatus(containertypes.HealthStatus(h)); err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter 'health=%s': %v", h, err))
		}
	}
	before, err := cs.boundary(f, "before")
	if err != nil {
		return nil, err
	}
	since, err := cs.boundary(f, "since")
	if err != nil {
		return nil, err
	}
	ancestors, err := cs.ancestorIDs(ctx, f.Values("ancestor"))
	if err != nil {
		return nil, err
	}
	portsMatch, err := portFilters(f)
	if err != nil {
		return nil, err
	}
	all := opts.All || opts.Limit > 0 || f.Has("status") || f.Has("exited")
	out := []containertypes.Summary{}
	now := time.Now()
	linkNames := cs.linkNames()
	for _, c := range cs.store.List() {
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
		c.Lock()
		ok := (all || c.State.IsRunning() || c.State.IsRestarting()) && cs.matches(c, f, ancestors) &&
			(before == nil || c.Created.Before(before.Created)) && (since == nil || c.Created.After(since.Created))
		if ok {
			s := summaryOf(c, now)
			s.Names = withLinkNames(s.Names, linkNames[c.ID])
			if s.Ports = cs.portSummaries(c); portsMatch(s.Ports) {
				out = append(out, s)
			}
		}
		c.Unlock()
	}
	if opts.Size {
		for i := range out {
			out[i].SizeRw, out[i].SizeRootFs = cs.sizes(ctx, out[i].ID, out[i].ImageID)
		}
	}
	return out, nil
}

// sizes are what `ps -s` shows: the bytes the container changed, and those
// plus its image's.
func (cs *Containers) sizes(ctx context.Context, id, imageID string) (rw, rootfs int64) {
	_ = filepath.WalkDir(cs.layers.RWDiffDir(id), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				rw += info.Size()
			}
		}
		return nil
	})
	if img, err := cs.images.Inspect(ctx, imageID); err == nil {
		rootfs = img.Size
	}
	return rw, rw + rootfs
}

func (cs *Containers) boundary(f filters.Args, key string) (*container.Container, error) {
	vals := f.Values(key)
	if len(vals) == 0 {
		return nil, nil
	}
	c, err := cs.store.Get(vals[0])
	if err != nil {
		return nil, err
	}
	c.Lock()
	defer c.Unlock()
	return &container.Container{Created: c.Created}, nil
}

func (cs *Containers) ancestorIDs(ctx context.Context, refs []string) (map[string]bool, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	ids := map[string]bool{}
	for _, ref := range refs {
		if id, err := cs.images.Resolve(ctx, ref); err == nil {
			ids[id.String()] = true
		}
	}
	return ids, nil
}

// matches applies the filters to c (locked).
func (cs *Containers) matches(c *container.Container, f filters.Args, ancestors map[string]bool) bool {
	if f.Has("exited") {
		if c.State.Status != containertypes.StateExited || !f.Match("exited", strconv.Itoa(c.State.ExitCode)) {
			return false
		}
	}
	if f.Has("is-task") {
		if v, _, _ := f.Bool("is-task"); v {
			return false
		}
	}
	if ancestors != nil && !ancestors[c.Image.String()] {
		return false
	}
	name := strings.TrimPrefix(c.Name, "/")
	return f.MatchPrefix("id", c.ID) &&
		matchName(f, name) &&
		f.MatchLabels("label", c.Config.Labels) &&
		f.Match("status", string(c.State.Status)) &&
		f.Match("health", string(c.State.HealthStatus())) &&
		matchNetworkFilter(c, f)
}

// matchName matches Docker's name filter: a substring or regexp-ish match;
// substring is what users rely on.
func matchName(f filters.Args, name string) bool {
	if !f.Has("name") {
		return true
	}
	for _, v := range f.Values("name") {
		if strings.Contains(name, strings.TrimPrefix(v, "/")) {
			return true
		}
	}
	return false
}

func summaryOf(c *container.Container, now time.Time) containertypes.Summary {
	s := containertypes.Summary{
		ID:              c.ID,
		Names:           []string{c.Name},
		Image:           c.ImageRef,
		ImageID:         c.Image.String(),
		Command:         strings.Join(append([]string{c.Path}, c.Args...), " "),
		Created:         c.Created.Unix(),
		Ports:           []containertypes.PortSummary{},
		Labels:          c.Config.Labels,
		State:           c.State.Status,
		Status:          c.State.StatusString(now),
		Mounts:          []containertypes.MountPoint{},
		NetworkSettings: &containertypes.NetworkSettingsSummary{Networks: networksOf(c)},
	}
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	s.HostConfig.NetworkMode = string(c.HostConfig.NetworkMode)
	return s
}

// Inspect answers GET /containers/{id}/json; size adds SizeRw and SizeRootFs.
func (cs *Containers) Inspect(ctx context.Context, ref string, size bool) (containertypes.InspectResponse, error) {
	c, err := cs.store.Get(ref)
	if err != nil {
		return containertypes.InspectResponse{}, err
	}
	resp := cs.inspect(c)
	if size {
		rw, rootfs := cs.sizes(ctx, resp.ID, resp.Image)
		resp.SizeRw, resp.SizeRootFs = &rw, &rootfs
	}
	return resp, nil
}

func (cs *Containers) inspect(c *container.Container) containertypes.InspectResponse {
	c.Lock()
	defer c.Unlock()
	dir := cs.store.Dir(c.ID)
	rw := filepath.Dir(cs.layers.RWDiffDir(c.ID))
	return containertypes.InspectResponse{
		ID:             c.ID,
		Created:        c.Created.Format(time.RFC3339Nano),
		Path:           c.Path,
		Args:           nonNil(c.Args),
		State:          c.State.APIState(),
		Image:          c.Image.String(),
		ResolvConfPath: filepath.Join(dir, "resolv.conf"),
		HostnamePath:   filepath.Join(dir, "hostname"),
		HostsPath:      filepath.Join(dir, "hosts"),
		LogPath:        c.LogPath,
		Name:           c.Name,
		RestartCount:   c.RestartCount,
		Driver:         "overlay2",
		Platform:       "linux",
		HostConfig:     cs.hostConfigOf(c),
		GraphDriver: &storage.DriverData{Name: "overlay2", Data: map[string]string{
			"UpperDir": filepath.Join(rw, "diff"), "WorkDir": filepath.Join(rw, "work"), "MergedDir": filepath.Join(rw, "merged"),
		}},
		Mounts:          mountPoints(c),
		Config:          c.Config,
		NetworkSettings: cs.networkSettingsWithPorts(c),
	}
}

func networkSettingsOf(c *container.Container) *containertypes.NetworkSettings {
	ns := &containertypes.NetworkSettings{Networks: networksOf(c), Ports: network.PortMap{}}
	if c.Endpoint != nil {
		ns.SandboxKey = c.Endpoint.NetNSPath
		ns.SandboxID = c.Endpoint.EndpointID
	}
	return ns
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Prune removes stopped containers (filters until, label).
func (cs *Containers) Prune(ctx context.Context, f filters.Args) (containertypes.PruneReport, error) {
	if err := f.Validate("until", "label", "label!"); err != nil {
		return containertypes.PruneReport{}, err
	}
	report := containertypes.PruneReport{ContainersDeleted: []string{}}
	for _, c := range cs.store.List() {
		c.Lock()
		skip := c.State.IsRunning() || !f.MatchLabels("label", c.Config.Labels)
		c.Unlock()
		if skip {
			continue
		}
		if err := cs.remove(c, false, false); err == nil {
			report.ContainersDeleted = append(report.ContainersDeleted, c.ID)
		}
	}
	cs.bus.Publish(eventtypes.ContainerEventType, eventtypes.ActionPrune, "", map[string]string{"reclaimed": strconv.FormatUint(report.SpaceReclaimed, 10)})
	return report, nil
}

// mountPoints is the container's mounts as inspect and ps show them.
func mountPoints(c *container.Container) []containertypes.MountPoint {
	if len(c.Mounts) == 0 {
		return []containertypes.MountPoint{}
	}
	return volume.MountPoints(c.Mounts)
}
