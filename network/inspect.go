package network

import (
	"net"
	"slices"
	"strings"

	networktypes "github.com/moby/moby/api/types/network"
)

// Lookup describes the network named ref (name, ID or ID prefix).
func (m *Manager) Lookup(ref string) (NetworkInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := m.lookupLocked(ref)
	if err != nil {
		return NetworkInfo{}, err
	}
	return m.infoOf(st), nil
}

// infoOf is the short description of a network.
func (m *Manager) infoOf(st *state) NetworkInfo {
	return NetworkInfo{
		Name: m.nameOf(st), ID: st.NetworkID, Driver: "bridge", Subnet: st.Subnet, Gateway: st.Gateway,
		Bridge: m.bridgeOf(st), Internal: st.Internal, HostBindingIPv4: st.Options[optHostBinding],
	}
}

// Inspect describes a network as GET /networks/{id} does, with the
// containers that have an endpoint on it.
func (m *Manager) Inspect(ref string) (networktypes.Inspect, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := m.lookupLocked(ref)
	if err != nil {
		return networktypes.Inspect{}, err
	}
	return m.inspectLocked(st), nil
}

// List describes every bridge network (not host and none: the daemon adds
// those), sorted by name.
func (m *Manager) List() []networktypes.Inspect {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []networktypes.Inspect
	for _, st := range m.nets {
		out = append(out, m.inspectLocked(st))
	}
	slices.SortFunc(out, func(a, b networktypes.Inspect) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (m *Manager) inspectLocked(st *state) networktypes.Inspect {
	cfg := networktypes.IPAMConfig{Subnet: st.Subnet, IPRange: st.IPRange, Gateway: st.Gateway}
	labels := st.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	n := networktypes.Inspect{
		Network: networktypes.Network{
			Name: m.nameOf(st), ID: st.NetworkID, Created: st.Created, Scope: "local", Driver: "bridge",
			EnableIPv4: true, IPAM: networktypes.IPAM{Driver: "default", Options: nil, Config: []networktypes.IPAMConfig{cfg}},
			Internal: st.Internal, Attachable: st.Attachable, Options: m.options(st), Labels: labels,
		},
		Containers: map[string]networktypes.EndpointResource{},
	}
	for id, ep := range st.Endpoints {
		mac, _ := net.ParseMAC(ep.MacAddress)
		n.Containers[id] = networktypes.EndpointResource{
			Name: ep.Name, EndpointID: ep.EndpointID, MacAddress: networktypes.HardwareAddr(mac), IPv4Address: ep.Address,
		}
	}
	return n
}
