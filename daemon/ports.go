package daemon

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/berth/berth/api/filters"
	"github.com/berth/berth/container"
	"github.com/berth/berth/network"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	networktypes "github.com/moby/moby/api/types/network"
)

// checkPortBindings refuses, at create, port bindings Docker refuses and
// those Berth cannot publish yet.
func checkPortBindings(hc *containertypes.HostConfig) error {
	for port, bindings := range hc.PortBindings {
		switch port.Proto() {
		case networktypes.TCP, networktypes.UDP:
		case networktypes.SCTP:
			return errdefs.ErrNotImplemented.WithMessage("publishing sctp ports is not supported by Berth yet")
		default:
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid port specification: %q", port.String()))
		}
		for _, b := range bindings {
			if _, _, err := parseHostPort(b.HostPort); err != nil {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid port specification: %q", b.HostPort))
			}
			if b.HostIP.IsValid() && !b.HostIP.Unmap().Is4() {
				return errdefs.ErrNotImplemented.WithMessage("publishing ports on IPv6 addresses is not supported by Berth yet")
			}
		}
	}
	return nil
}

// parseHostPort reads a binding's HostPort: "" (ephemeral), "8080" or a
// range to take one from, "8000-8010".
func parseHostPort(s string) (first, last uint16, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	f, err := strconv.ParseUint(a, 10, 16)
	if err != nil {
		return 0, 0, err
	}
	l := f
	if isRange {
		if l, err = strconv.ParseUint(b, 10, 16); err != nil {
			return 0, 0, err
		}
	}
	if f == 0 || l < f {
		return 0, 0, fmt.Errorf("invalid port range %q", s)
	}
	return uint16(f), uint16(l), nil
}

// portRequests is what to publish for c: its PortBindings, and with
// PublishAllPorts (-P) every other exposed port on an ephemeral host port.
// Bindings without a host address take defaultIP (the network's
// com.docker.network.bridge.host_binding_ipv4), if valid.
func portRequests(c *container.Container, defaultIP netip.Addr) []network.PortRequest {
	hostIP := func(ip netip.Addr) netip.Addr {
		if !ip.IsValid() {
			return defaultIP
		}
		return ip.Unmap()
	}
	var reqs []network.PortRequest
	for _, port := range sortedPorts(c.HostConfig.PortBindings) {
		for _, b := range c.HostConfig.PortBindings[port] {
			first, last, _ := parseHostPort(b.HostPort) // checked at create
			reqs = append(reqs, network.PortRequest{Proto: string(port.Proto()), ContainerPort: port.Num(),
				HostIP: hostIP(b.HostIP), HostPortFirst: first, HostPortLast: last})
		}
	}
	if c.HostConfig.PublishAllPorts {
		for _, port := range sortedPorts(c.Config.ExposedPorts) {
			if _, ok := c.HostConfig.PortBindings[port]; !ok {
				reqs = append(reqs, network.PortRequest{Proto: string(port.Proto()), ContainerPort: port.Num(), HostIP: defaultIP})
			}
		}
	}
	return reqs
}

func sortedPorts[V any](m map[networktypes.Port]V) []networktypes.Port {
	ports := make([]networktypes.Port, 0, len(m))
	for p := range m {
		ports = append(ports, p)
	}
	slices.SortFunc(ports, func(a, b networktypes.Port) int {
		if a.Num() != b.Num() {
			return int(a.Num()) - int(b.Num())
		}
		return strings.Compare(string(a.Proto()), string(b.Proto()))
	})
	return ports
}

// publishPorts publishes c's ports on its primary endpoint (ep), once the
// container is on its networks. Every bridge container is recorded, even
// with nothing to publish, so that its bridge gets through a FORWARD
// policy of DROP.
func (cs *Containers) publishPorts(c *container.Container, ep *container.Endpoint, undo *cleanups) error {
	if cs.ports == nil || ep == nil {
		return nil
	}
	ip, err := netip.ParseAddr(ep.IPAddress)
	if err != nil {
		return err
	}
	ref := ep.NetworkID
	if ref == "" {
		ref = networktypes.NetworkBridge
	}
	info, err := cs.net.Lookup(ref)
	if err != nil {
		return err
	}
	defaultIP, _ := netip.ParseAddr(info.HostBindingIPv4) // "" (all addresses) stays invalid
	br := network.PortBridge{Name: info.Bridge, Subnet: info.Subnet}
	if _, err := cs.ports.Publish(c.ID, br, ip, portRequests(c, defaultIP)); err != nil {
		return fmt.Errorf("failed to set up container networking: driver failed programming external connectivity on endpoint %s (%s): %w",
			strings.TrimPrefix(c.Name, "/"), ep.EndpointID, err)
	}
	undo.add(func() { cs.unpublishPorts(c.ID) })
	return nil
}

// unpublishPorts removes c's published ports (on exit, or a failed start).
func (cs *Containers) unpublishPorts(id string) {
	if cs.ports == nil {
		return
	}
	if err := cs.ports.Unpublish(id); err != nil {
		cs.log.Warn("removing published ports", "container", id, "err", err)
	}
}

// reconcilePorts keeps the published ports of the running containers, and
// takes their host ports again, after a daemon restart.
func (cs *Containers) reconcilePorts(running []string) {
	if cs.ports == nil {
		return
	}
	bridges := map[string]string{} // the running containers with an endpoint, by ID
	for _, id := range running {
		c, err := cs.store.Get(id)
		if err != nil {
			continue
		}
		c.Lock()
		if ep := c.Endpoint; ep != nil {
			bridges[id] = ep.Bridge
			if bridges[id] == "" { // saved before endpoints named their bridge
				bridges[id] = cs.net.Network().Bridge
			}
		}
		c.Unlock()
	}
	if err := cs.ports.Reconcile(bridges); err != nil {
		cs.log.Warn("reconciling published ports", "err", err)
	}
}

// portMap is NetworkSettings.Ports: while c runs on a bridge, each exposed
// port, with its host bindings if published (null if not); else empty, as
// Docker shows it.
func (cs *Containers) portMap(c *container.Container) networktypes.PortMap {
	pm := networktypes.PortMap{}
	if c.Endpoint == nil || !c.State.IsRunning() {
		return pm
	}
	for p := range c.Config.ExposedPorts {
		pm[p] = nil
	}
	for p := range c.HostConfig.PortBindings {
		pm[p] = nil
	}
	if cs.ports == nil {
		return pm
	}
	for _, b := range cs.ports.Bindings(c.ID) {
		p, _ := networktypes.PortFrom(b.ContainerPort, networktypes.IPProtocol(b.Proto))
		pm[p] = append(pm[p], networktypes.PortBinding{HostIP: b.HostIP, HostPort: strconv.Itoa(int(b.HostPort))})
	}
	return pm
}

// portSummaries is the Ports of ps: every port of portMap, once per
// binding.
func (cs *Containers) portSummaries(c *container.Container) []containertypes.PortSummary {
	out := []containertypes.PortSummary{}
	pm := cs.portMap(c)
	for _, p := range sortedPorts(pm) {
		if len(pm[p]) == 0 {
			out = append(out, containertypes.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
			continue
		}
		for _, b := range pm[p] {
			hp, _ := strconv.ParseUint(b.HostPort, 10, 16)
			out = append(out, containertypes.PortSummary{IP: b.HostIP, PrivatePort: p.Num(), PublicPort: uint16(hp), Type: string(p.Proto())})
		}
	}
	return out
}

// networkSettingsWithPorts is networkSettingsOf with the published ports.
func (cs *Containers) networkSettingsWithPorts(c *container.Container) *containertypes.NetworkSettings {
	ns := networkSettingsOf(c)
	ns.Ports = cs.portMap(c)
	return ns
}

// portFilters reads ps's publish and expose filters ("80", "8000-8080/udp")
// into a matcher of a container's ports, as Docker: publish matches a host
// port, expose a container port.
func portFilters(f filters.Args) (func([]containertypes.PortSummary) bool, error) {
	parse := func(key string) (map[string]bool, error) {
		set := map[string]bool{}
		for _, v := range f.Values(key) {
			pr, err := networktypes.ParsePortRange(v)
			if err != nil {
				return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter '%s=%s': %v", key, v, err))
			}
			for p := range pr.All() {
				set[p.String()] = true
			}
		}
		return set, nil
	}
	publish, err := parse("publish")
	if err != nil {
		return nil, err
	}
	expose, err := parse("expose")
	if err != nil {
		return nil, err
	}
	return func(ports []containertypes.PortSummary) bool {
		if len(publish) == 0 && len(expose) == 0 {
			return true
		}
		for _, p := range ports {
			if publish[fmt.Sprintf("%d/%s", p.PublicPort, p.Type)] || expose[fmt.Sprintf("%d/%s", p.PrivatePort, p.Type)] {
				return true
			}
		}
		return false
	}, nil
}
