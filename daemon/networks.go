package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/berth/berth/api/filters"
	"github.com/berth/berth/container"
	"github.com/berth/berth/network"
	"github.com/containerd/errdefs"
	eventtypes "github.com/moby/moby/api/types/events"
	networktypes "github.com/moby/moby/api/types/network"
)

// Networks serves the /networks API: the network manager's bridge
// networks, the predefined host and none networks, and the containers'
// side of connect and disconnect.
type Networks struct {
	cs *Containers
	nm *network.Manager
}

// NewNetworks returns the /networks service over the containers and the
// network manager.
func NewNetworks(cs *Containers, nm *network.Manager) *Networks {
	return &Networks{cs: cs, nm: nm}
}

var networkListFilters = []string{"driver", "id", "label", "name", "scope", "type", "dangling"}

// List answers GET /networks.
func (n *Networks) List(ctx context.Context, f filters.Args) ([]networktypes.Summary, error) {
	if err := f.Validate(networkListFilters...); err != nil {
		return nil, err
	}
	for _, t := range f.Values("type") {
		if t != "custom" && t != "builtin" {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter: 'type'='%s'", t))
		}
	}
	dangling, danglingGiven, err := f.Bool("dangling")
	if err != nil {
		return nil, err
	}
	out := []networktypes.Summary{}
	for _, nw := range n.all() {
		builtin := network.Predefined(nw.Name)
		typ := "custom"
		if builtin {
			typ = "builtin"
		}
		keep := f.Match("driver", nw.Driver) && f.MatchPrefix("id", nw.ID) && f.MatchLabels("label", nw.Labels) &&
			matchSubstring(f, "name", nw.Name) && f.Match("scope", nw.Scope) && f.Match("type", typ) &&
			(!danglingGiven || dangling == (!builtin && len(nw.Containers) == 0))
		if keep {
			out = append(out, networktypes.Summary{Network: nw.Network})
		}
	}
	return out, nil
}

// matchSubstring matches a name filter as Docker does: the value anywhere
// in the name.
func matchSubstring(f filters.Args, key, value string) bool {
	if !f.Has(key) {
		return true
	}
	for _, v := range f.Values(key) {
		if strings.Contains(value, v) {
			return true
		}
	}
	return false
}

// all is every network: bridge ones, then host and none.
func (n *Networks) all() []networktypes.Inspect {
	nets := n.nm.List()
	return append(nets, n.predefined("host"), n.predefined("none"))
}

// predefined describes the host or none network with the containers that
// run in that mode. Their IDs derive from the default network's, so they
// are stable across restarts.
func (n *Networks) predefined(name string) networktypes.Inspect {
	def := n.nm.Network()
	sum := sha256.Sum256([]byte(def.ID + "/" + name))
	driver := "host"
	if name == "none" {
		driver = "null"
	}
	nw := networktypes.Inspect{
		Network: networktypes.Network{Name: name, ID: hex.EncodeToString(sum[:]), Created: n.nm.Created(), Scope: "local", Driver: driver,
			EnableIPv4: true, IPAM: networktypes.IPAM{Driver: "default", Config: []networktypes.IPAMConfig{}},
			Options: map[string]string{}, Labels: map[string]string{}},
		Containers: map[string]networktypes.EndpointResource{},
	}
	for _, c := range n.cs.store.List() {
		c.Lock()
		if string(c.HostConfig.NetworkMode) == name && c.State.IsRunning() {
			nw.Containers[c.ID] = networktypes.EndpointResource{Name: strings.TrimPrefix(c.Name, "/")}
		}
		c.Unlock()
	}
	return nw
}

// Inspect answers GET /networks/{id}: a name, an ID or an ID prefix.
func (n *Networks) Inspect(ctx context.Context, ref string) (networktypes.Inspect, error) {
	if ref == "host" || ref == "none" {
		return n.predefined(ref), nil
	}
	nw, err := n.nm.Inspect(ref)
	if !errdefs.IsNotFound(err) {
		return nw, err
	}
	for _, name := range []string{"host", "none"} {
		if p := n.predefined(name); strings.HasPrefix(p.ID, ref) {
			return p, nil
		}
	}
	return nw, err
}

// Create answers POST /networks/create.
func (n *Networks) Create(ctx context.Context, req networktypes.CreateRequest) (networktypes.CreateResponse, error) {
	id, err := n.nm.CreateNetwork(req)
	if err != nil {
		return networktypes.CreateResponse{}, err
	}
	n.publish(eventtypes.ActionCreate, id, req.Name, nil)
	return networktypes.CreateResponse{ID: id}, nil
}

// Remove answers DELETE /networks/{id}.
func (n *Networks) Remove(ctx context.Context, ref string) error {
	if ref == "host" || ref == "none" {
		return errdefs.ErrPermissionDenied.WithMessage(fmt.Sprintf("%s is a pre-defined network and cannot be removed", ref))
	}
	info, err := n.nm.Lookup(ref)
	if err != nil {
		return err
	}
	if err := n.nm.RemoveNetwork(info.ID); err != nil {
		return err
	}
	n.publish(eventtypes.ActionDestroy, info.ID, info.Name, nil)
	return nil
}

// Prune answers POST /networks/prune: it removes the user-defined networks
// no running container is on (filters until, label, label!).
func (n *Networks) Prune(ctx context.Context, f filters.Args) (networktypes.PruneReport, error) {
	if err := f.Validate("until", "label", "label!"); err != nil {
		return networktypes.PruneReport{}, err
	}
	until, err := untilFilter(f)
	if err != nil {
		return networktypes.PruneReport{}, err
	}
	report := networktypes.PruneReport{NetworksDeleted: []string{}}
	for _, nw := range n.nm.List() {
		if network.Predefined(nw.Name) || len(nw.Containers) > 0 || !until.IsZero() && !nw.Created.Before(until) ||
			!f.MatchLabels("label", nw.Labels) || f.Has("label!") && !matchNoLabel(f, nw.Labels) {
			continue
		}
		if err := n.nm.RemoveNetwork(nw.ID); err == nil {
			n.publish(eventtypes.ActionDestroy, nw.ID, nw.Name, nil)
			report.NetworksDeleted = append(report.NetworksDeleted, nw.Name)
		}
	}
	return report, nil
}

// matchNoLabel is the label! filter: none of its values may match.
func matchNoLabel(f filters.Args, labels map[string]string) bool {
	for _, want := range f.Values("label!") {
		k, v, hasValue := strings.Cut(want, "=")
		if got, ok := labels[k]; ok && (!hasValue || got == v) {
			return false
		}
	}
	return true
}

// untilFilter reads the until filter: a duration before now, an RFC 3339
// time, or Unix seconds.
func untilFilter(f filters.Args) (time.Time, error) {
	vals := f.Values("until")
	switch len(vals) {
	case 0:
		return time.Time{}, nil
	case 1:
	default:
		return time.Time{}, errdefs.ErrInvalidArgument.WithMessage("more than one until filter specified")
	}
	v := vals[0]
	if d, err := time.ParseDuration(v); err == nil {
		return time.Now().Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Unix(0, int64(s*1e9)), nil
	}
	return time.Time{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("failed to parse value as time or duration: %q", v))
}

func (n *Networks) publish(action eventtypes.Action, id, name string, extra map[string]string) {
	attrs := map[string]string{"name": name, "type": "bridge"}
	for k, v := range extra {
		attrs[k] = v
	}
	n.cs.bus.Publish(eventtypes.NetworkEventType, action, id, attrs)
}

// Connect answers POST /networks/{id}/connect: the container is connected
// at once when it runs (a new interface in its namespace), and at its next
// start in any case.
func (n *Networks) Connect(ctx context.Context, ref string, req networktypes.ConnectRequest) error {
	info, err := n.lookupBridge(ref)
	if err != nil {
		return err
	}
	c, err := n.cs.store.Get(req.Container)
	if err != nil {
		return err
	}
	es := req.EndpointConfig.Copy()
	if es == nil {
		es = &networktypes.EndpointSettings{}
	}
	if err := checkEndpointSettings(info.Name, es); err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if err := checkConnectable(c, info.Name); err != nil {
		return err
	}
	if c.State.IsRunning() {
		opts := n.cs.endpointOptions(c, es)
		ep, err := n.nm.Connect(ctx, c.ID, info.ID, opts)
		if err != nil {
			return err
		}
		if c.Endpoints == nil {
			c.Endpoints = map[string]*container.Endpoint{}
		}
		c.Endpoints[info.Name] = endpointOf(ep)
		if c.Endpoint == nil {
			c.Endpoint = c.Endpoints[info.Name]
		}
	}
	if c.NetworkConfig == nil { // created before NetworkConfig: it was on its mode's network
		c.NetworkConfig = map[string]*networktypes.EndpointSettings{primaryNetwork(c.HostConfig.NetworkMode): {}}
	}
	c.NetworkConfig[info.Name] = es
	if err := n.cs.store.Save(c); err != nil {
		return err
	}
	n.publish(eventtypes.ActionConnect, info.ID, info.Name, map[string]string{"container": c.ID})
	return nil
}

// checkConnectable refuses, in Docker's words, a container whose network
// mode does not allow another network, or one already connected.
func checkConnectable(c *container.Container, name string) error {
	m := c.HostConfig.NetworkMode
	switch {
	case m.IsHost():
		return errdefs.ErrPermissionDenied.WithMessage("container cannot be disconnected from host network or connected to host network")
	case m.IsContainer():
		return errdefs.ErrPermissionDenied.WithMessage("container sharing network namespace with another container or host cannot be connected to any other network")
	case m.IsNone():
		return errdefs.ErrPermissionDenied.WithMessage("container cannot be connected to multiple networks with one of the networks in private (none) mode")
	}
	if _, ok := c.NetworkConfig[name]; ok || c.Endpoints[name] != nil {
		return errdefs.ErrPermissionDenied.WithMessage(fmt.Sprintf("endpoint with name %s already exists in network %s", strings.TrimPrefix(c.Name, "/"), name))
	}
	return nil
}

// Disconnect answers POST /networks/{id}/disconnect. With force, the
// endpoint of a container that no longer exists is removed too.
func (n *Networks) Disconnect(ctx context.Context, ref string, req networktypes.DisconnectRequest) error {
	info, err := n.lookupBridge(ref)
	if err != nil {
		return err
	}
	c, err := n.cs.store.Get(req.Container)
	if errdefs.IsNotFound(err) && req.Force {
		return n.nm.Disconnect(req.Container, info.ID)
	}
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if c.NetworkConfig == nil { // created before NetworkConfig: it was on its mode's network
		c.NetworkConfig = map[string]*networktypes.EndpointSettings{primaryNetwork(c.HostConfig.NetworkMode): {}}
	}
	_, configured := c.NetworkConfig[info.Name]
	ep := c.Endpoints[info.Name]
	if ep == nil && c.Endpoints == nil && c.Endpoint != nil && c.Endpoint.NetworkID == info.ID {
		ep = c.Endpoint // started before Endpoints were recorded
	}
	if !configured && ep == nil {
		return errdefs.ErrPermissionDenied.WithMessage(fmt.Sprintf("container %s is not connected to network %s", c.ID, info.Name))
	}
	if ep != nil && c.State.IsRunning() {
		if err := n.nm.Disconnect(c.ID, info.ID); err != nil {
			return err
		}
	}
	delete(c.Endpoints, info.Name)
	delete(c.NetworkConfig, info.Name)
	if ep != nil && c.Endpoint != nil && c.Endpoint.EndpointID == ep.EndpointID {
		c.Endpoint = nil
		for _, other := range c.Endpoints {
			c.Endpoint = other
			break
		}
	}
	if err := n.cs.store.Save(c); err != nil {
		return err
	}
	n.publish(eventtypes.ActionDisconnect, info.ID, info.Name, map[string]string{"container": c.ID})
	return nil
}

// lookupBridge finds a bridge network; host and none cannot be connected
// to or disconnected from at run time.
func (n *Networks) lookupBridge(ref string) (network.NetworkInfo, error) {
	if ref == "host" || ref == "none" {
		return network.NetworkInfo{}, errdefs.ErrPermissionDenied.WithMessage("container cannot be disconnected from host network or connected to host network")
	}
	return n.nm.Lookup(ref)
}
