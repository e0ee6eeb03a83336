package daemon

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth/berth/api/filters"
	"github.com/berth/berth/container"
	"github.com/berth/berth/network"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	networktypes "github.com/moby/moby/api/types/network"
)

// networkNames are the networks a container joins at start, its primary
// one (the network mode's) first, then the others by name.
func networkNames(c *container.Container) []string {
	primary := primaryNetwork(c.HostConfig.NetworkMode)
	var names []string
	if _, ok := c.NetworkConfig[primary]; ok || c.NetworkConfig == nil {
		names = append(names, primary) // unless disconnected from it (nil: created before NetworkConfig)
	}
	var others []string
	for name := range c.NetworkConfig {
		if name != primary {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	return append(names, others...)
}

// primaryNetwork is the network a network mode names: "bridge" for the
// default.
func primaryNetwork(m containertypes.NetworkMode) string {
	if m == "" || m.IsDefault() {
		return networktypes.NetworkBridge
	}
	return string(m)
}

// ownNetns reports whether the container gets a network namespace with
// endpoints from the network manager (bridge and user-defined networks).
func ownNetns(c *container.Container) bool {
	m := c.HostConfig.NetworkMode
	return !m.IsNone() && !m.IsHost() && !m.IsContainer()
}

// attachNetwork connects a starting container to its networks and returns
// its primary endpoint (nil for none, host and container:<id> modes).
func (cs *Containers) attachNetwork(ctx context.Context, c *container.Container, undo *cleanups) (*container.Endpoint, error) {
	if cs.net == nil || !ownNetns(c) {
		return nil, nil
	}
	undo.add(func() { _ = cs.net.Detach(c.ID) })
	eps := map[string]*container.Endpoint{}
	var primary *container.Endpoint
	for _, name := range networkNames(c) {
		opts := cs.endpointOptions(c, c.NetworkConfig[name])
		opts.Fresh = true
		ep, err := cs.net.Connect(ctx, c.ID, name, opts)
		if err != nil {
			return nil, fmt.Errorf("failed to set up container networking: %w", err)
		}
		e := endpointOf(ep)
		eps[ep.NetworkName] = e
		if primary == nil {
			primary = e
		}
	}
	c.Lock()
	c.Endpoints = eps
	c.Unlock()
	undo.add(func() { c.Lock(); c.Endpoints = nil; c.Unlock() }) // start failed: c's lock is not held
	return primary, nil
}

// endpointOptions are what the network manager needs of the container for
// an endpoint configured by es (nil: nothing asked).
func (cs *Containers) endpointOptions(c *container.Container, es *networktypes.EndpointSettings) network.EndpointOptions {
	opts := network.EndpointOptions{Name: strings.TrimPrefix(c.Name, "/"), DNSServers: c.HostConfig.DNS}
	if es != nil {
		opts.Aliases = es.Aliases
		opts.Links, _ = endpointLinks(es) // checked at create and connect
		if es.IPAMConfig != nil {
			opts.IPv4 = es.IPAMConfig.IPv4Address
		}
		if len(es.MacAddress) > 0 {
			opts.MAC = net.HardwareAddr(es.MacAddress).String()
		}
	}
	return opts
}

func endpointOf(ep network.Endpoint) *container.Endpoint {
	return &container.Endpoint{
		NetNSPath: ep.NetNSPath, IPAddress: ep.IPAddress.String(), PrefixLen: ep.PrefixLen, Gateway: ep.Gateway.String(),
		MacAddress: ep.MacAddress, NetworkID: ep.NetworkID, EndpointID: ep.EndpointID, NetworkName: ep.NetworkName, Bridge: ep.Bridge,
	}
}

// detachNetwork takes a stopped container off its networks.
func (cs *Containers) detachNetwork(c *container.Container) {
	if cs.net == nil || c.Endpoint == nil && len(c.Endpoints) == 0 {
		return
	}
	if err := cs.net.Detach(c.ID); err != nil {
		cs.log.Warn("detaching from networks", "container", c.ID, "err", err)
	}
	c.Endpoint, c.Endpoints = nil, nil
}

// netNSPath is the network namespace to join: the primary endpoint's,
// the host's for host mode, the other container's for container:<id>, or
// "" (a new one with loopback only) for none.
func (cs *Containers) netNSPath(c *container.Container, ep *container.Endpoint) (string, error) {
	switch {
	case ep != nil:
		return ep.NetNSPath, nil
	case c.HostConfig.NetworkMode.IsHost():
		return "/proc/1/ns/net", nil
	case c.HostConfig.NetworkMode.IsContainer():
		return cs.sharedNetns(c.HostConfig.NetworkMode.ConnectedContainer())
	}
	return "", nil
}

// sharedNetns is the network namespace of the running container ref, for
// --network container:<ref>.
func (cs *Containers) sharedNetns(ref string) (string, error) {
	other, err := cs.store.Get(ref)
	if err != nil {
		return "", err
	}
	other.Lock()
	defer other.Unlock()
	if !other.State.IsRunning() {
		return "", errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot join network namespace of a non running container: container %s is %s", strings.TrimPrefix(other.Name, "/"), other.State.Status))
	}
	if other.Endpoint != nil {
		return other.Endpoint.NetNSPath, nil
	}
	if other.HostConfig.NetworkMode.IsHost() {
		return "/proc/1/ns/net", nil
	}
	return fmt.Sprintf("/proc/%d/ns/net", other.State.Pid), nil
}

// writeEtcFiles writes hostname, hosts and resolv.conf for the container.
// A container on a user-defined network asks the embedded resolver.
func (cs *Containers) writeEtcFiles(c *container.Container, ep *container.Endpoint, links []link) (map[string]string, error) {
	hostname := c.Config.Hostname
	ip := ""
	if ep != nil {
		ip = ep.IPAddress
	}
	extra, err := cs.extraHosts(c.HostConfig.ExtraHosts)
	if err != nil {
		return nil, err
	}
	extra = append(extra, linkHosts(links)...)
	embedded := false
	c.Lock()
	for name := range c.Endpoints {
		embedded = embedded || name != networktypes.NetworkBridge
	}
	c.Unlock()
	dns := network.DNSConfig{Servers: c.HostConfig.DNS, Search: c.HostConfig.DNSSearch, Options: c.HostConfig.DNSOptions}
	files := map[string]string{
		"/etc/hostname":    hostname + "\n",
		"/etc/hosts":       network.Hosts(extra, ip, hostname, c.Config.Domainname),
		"/etc/resolv.conf": network.ResolvConf("/etc/resolv.conf", embedded, dns),
	}
	if c.HostConfig.NetworkMode.IsContainer() {
		// As Docker: the hosts and resolv.conf of the container whose
		// namespace this one joins.
		if other, err := cs.store.Get(c.HostConfig.NetworkMode.ConnectedContainer()); err == nil {
			for _, f := range []string{"hosts", "resolv.conf"} {
				if b, err := os.ReadFile(filepath.Join(cs.store.Dir(other.ID), f)); err == nil {
					files["/etc/"+f] = string(b)
				}
			}
		}
	}
	dir := cs.store.Dir(c.ID)
	out := map[string]string{}
	for target, content := range files {
		path := filepath.Join(dir, filepath.Base(target))
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return nil, err
		}
		out[target] = path
	}
	return out, nil
}

// extraHosts parses --add-host entries ("name:ip" or "name=ip");
// "host-gateway" is the default bridge's gateway, as Docker's.
func (cs *Containers) extraHosts(entries []string) ([]network.HostEntry, error) {
	var out []network.HostEntry
	for _, e := range entries {
		name, ip, ok := strings.Cut(e, "=")
		if !ok {
			name, ip, ok = strings.Cut(e, ":")
		}
		if !ok || name == "" {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid extra host entry %q: want host:ip", e))
		}
		if ip == "host-gateway" {
			if cs.net == nil {
				return nil, errdefs.ErrInvalidArgument.WithMessage("unable to derive the IP value for host-gateway")
			}
			ip = cs.net.Network().Gateway.String()
		} else if a, err := netip.ParseAddr(strings.Trim(ip, "[]")); err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid IP address in add-host: %q", ip))
		} else {
			ip = a.String()
		}
		out = append(out, network.HostEntry{Addr: ip, Names: []string{name}})
	}
	return out, nil
}

// checkNetworkSettings validates the network mode and endpoint settings of
// a create request and returns the endpoint settings to keep, by network
// name (a user-defined network named by ID or prefix is stored by name,
// and so is the network mode).
func (cs *Containers) checkNetworkSettings(hc *containertypes.HostConfig, nc *networktypes.NetworkingConfig, cfg *containertypes.Config) (map[string]*networktypes.EndpointSettings, error) {
	mode := hc.NetworkMode
	var eps map[string]*networktypes.EndpointSettings
	if nc != nil {
		eps = nc.EndpointsConfig
	}
	switch {
	case mode.IsContainer():
		// The other container is looked up at start, as with Docker (a 404
		// here would make the docker CLI try to pull the image).
		if len(hc.DNS) > 0 || len(hc.DNSSearch) > 0 || len(hc.DNSOptions) > 0 || len(hc.ExtraHosts) > 0 {
			return nil, errdefs.ErrInvalidArgument.WithMessage("conflicting options: dns and the network mode")
		}
		if cfg.Hostname != "" {
			return nil, errdefs.ErrInvalidArgument.WithMessage("conflicting options: hostname and the network mode")
		}
		return nil, nil
	case mode.IsHost(), mode.IsNone():
		if len(eps) > 1 {
			return nil, errdefs.ErrInvalidArgument.WithMessage("Container cannot be connected to network endpoints: " + strings.Join(slices.Sorted(maps.Keys(eps)), ", "))
		}
		return nil, nil
	}
	primary := primaryNetwork(mode)
	refs := []string{primary}
	for ref := range eps {
		if ref != primary && ref != networktypes.NetworkDefault {
			refs = append(refs, ref)
		}
	}
	out := map[string]*networktypes.EndpointSettings{}
	for i, ref := range refs {
		es := eps[ref]
		if es == nil && i == 0 {
			es = eps[networktypes.NetworkDefault]
		}
		name := networktypes.NetworkBridge
		if ref != networktypes.NetworkBridge {
			if network.Predefined(ref) {
				return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("container cannot be connected to network %s and to other networks", ref))
			}
			if cs.net == nil {
				return nil, errdefs.ErrNotImplemented.WithMessage("networks are not available in this daemon")
			}
			// An unknown network fails the start, not the create, as with
			// Docker (whose CLI would take a 404 here for a missing image).
			name = ref
			if info, err := cs.net.Lookup(ref); err == nil {
				name = info.Name
				if es != nil && es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid() {
					if err := cs.net.CheckStaticIP(info.ID, es.IPAMConfig.IPv4Address); err != nil {
						return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid config for network %s: invalid endpoint settings:\n%s", name, err))
					}
				}
			} else if !errdefs.IsNotFound(err) {
				return nil, err
			}
		}
		es = es.Copy()
		if es == nil {
			es = &networktypes.EndpointSettings{}
		}
		if err := checkEndpointSettings(name, es); err != nil {
			return nil, err
		}
		out[name] = es
		if i == 0 && !mode.IsDefault() && mode != "" {
			hc.NetworkMode = containertypes.NetworkMode(name)
		}
	}
	return out, nil
}

// checkEndpointSettings refuses on the default bridge what only
// user-defined networks offer, with Docker's words.
func checkEndpointSettings(name string, es *networktypes.EndpointSettings) error {
	switch {
	case es.IPAMConfig != nil && (es.IPAMConfig.IPv6Address.IsValid() || len(es.IPAMConfig.LinkLocalIPs) > 0):
		return errdefs.ErrNotImplemented.WithMessage("IPv6 and link-local container addresses are not supported by Berth yet")
	}
	if _, err := endpointLinks(es); err != nil {
		return err
	}
	if name != networktypes.NetworkBridge {
		return nil
	}
	if len(es.Aliases) > 0 {
		return errdefs.ErrInvalidArgument.WithMessage("network-scoped alias is supported only for containers in user defined networks")
	}
	if es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid() {
		return errdefs.ErrInvalidArgument.WithMessage("user specified IP address is supported on user defined networks only")
	}
	return nil
}

// networksOf is the container's endpoints by network name, as inspect and
// ps show them: each network it is connected to, with the live endpoint's
// addresses while it runs. On user-defined networks DNSNames are the names
// the embedded resolver answers for it: name, aliases, short ID.
func networksOf(c *container.Container) map[string]*networktypes.EndpointSettings {
	nets := map[string]*networktypes.EndpointSettings{}
	if ownNetns(c) && c.NetworkConfig == nil { // created before networks were recorded
		nets[primaryNetwork(c.HostConfig.NetworkMode)] = &networktypes.EndpointSettings{}
	}
	for name, es := range c.NetworkConfig {
		nets[name] = es.Copy()
	}
	if m := c.HostConfig.NetworkMode; m.IsHost() || m.IsNone() {
		nets[string(m)] = &networktypes.EndpointSettings{}
	}
	eps := c.Endpoints
	if len(eps) == 0 && c.Endpoint != nil { // recorded before there were several
		eps = map[string]*container.Endpoint{networktypes.NetworkBridge: c.Endpoint}
	}
	for name, ep := range eps {
		es := nets[name]
		if es == nil {
			es = &networktypes.EndpointSettings{}
			nets[name] = es
		}
		mac, _ := net.ParseMAC(ep.MacAddress)
		es.NetworkID, es.EndpointID, es.IPPrefixLen = ep.NetworkID, ep.EndpointID, ep.PrefixLen
		es.Gateway, _ = netip.ParseAddr(ep.Gateway)
		es.IPAddress, _ = netip.ParseAddr(ep.IPAddress)
		es.MacAddress = networktypes.HardwareAddr(mac)
		if name != networktypes.NetworkBridge {
			es.DNSNames = append(append([]string{strings.TrimPrefix(c.Name, "/")}, es.Aliases...), c.ID[:12])
		}
	}
	return nets
}

// renameEndpoints gives the container's endpoints its new name, which the
// embedded resolver answers for.
func (cs *Containers) renameEndpoints(id, name string) {
	if cs.net == nil {
		return
	}
	if err := cs.net.Rename(id, strings.TrimPrefix(name, "/")); err != nil {
		cs.log.Warn("renaming network endpoints", "container", id, "err", err)
	}
}

// matchNetworkFilter is ps's network filter: one of the container's
// networks, by name or ID (prefix).
func matchNetworkFilter(c *container.Container, f filters.Args) bool {
	if !f.Has("network") {
		return true
	}
	for name, es := range networksOf(c) {
		for _, v := range f.Values("network") {
			if v == name || es.NetworkID != "" && strings.HasPrefix(es.NetworkID, v) {
				return true
			}
		}
	}
	return false
}
