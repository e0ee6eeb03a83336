package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Attach gives a container its network: a named network namespace
// (<RunDir>/<containerID>) with lo up, and eth0, one end of a veth pair
// whose other end is on the bridge, with an address from the subnet, a MAC
// derived from it and a default route via the gateway. A container already
// attached gets its existing endpoint (a restarted daemon may ask again).
// When anything fails, what was done is undone.
func (m *Manager) Attach(ctx context.Context, containerID string) (Endpoint, error) {
	if err := checkID(containerID); err != nil {
		return Endpoint{}, err
	}
	if err := ctx.Err(); err != nil {
		return Endpoint{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	path := m.netnsPath(containerID)
	if ep, ok := m.st.Endpoints[containerID]; ok {
		if isNetns(path) && linkExists(ep.HostVeth) {
			return m.endpoint(containerID, ep), nil
		}
		m.log.Warn("network endpoint is incomplete, recreating it", "container", containerID)
		if err := m.detachLocked(containerID); err != nil {
			return Endpoint{}, err
		}
	} else if err := removeNetns(path); err != nil { // left by a crash
		return Endpoint{}, err
	}
	ep, err := m.attachLocked(containerID)
	if err != nil {
		return Endpoint{}, fmt.Errorf("attach container %s to network bridge: %w", containerID, err)
	}
	m.log.Debug("network endpoint attached", "container", containerID, "address", ep.Address, "veth", ep.HostVeth)
	return m.endpoint(containerID, ep), nil
}

func (m *Manager) attachLocked(id string) (*endpointState, error) {
	ip, err := allocate(m.st.Subnet, m.st.Gateway, m.st.Last, m.inUseLocked())
	if err != nil {
		return nil, err
	}
	veth, err := m.newVethName()
	if err != nil {
		return nil, err
	}
	ep := &endpointState{
		EndpointID: randomHex(),
		Address:    netip.PrefixFrom(ip, m.st.Subnet.Bits()),
		Gateway:    m.st.Gateway,
		MacAddress: macFromIP(ip).String(),
		HostVeth:   veth,
	}
	var undo cleanup
	defer undo.run()
	path := m.netnsPath(id)
	if err := createNetns(path); err != nil {
		return nil, err
	}
	undo.add(func() { m.logErr(removeNetns(path), "remove netns after failed attach", id) })
	undo.add(func() { m.logErr(deleteLink(veth), "delete veth after failed attach", id) })
	if err := plumb(m.cfg.Bridge, path, ep); err != nil {
		return nil, err
	}
	last := m.st.Last
	m.st.Endpoints[id], m.st.Last = ep, ip
	if err := m.st.save(m.statePath); err != nil {
		delete(m.st.Endpoints, id)
		m.st.Last = last
		return nil, fmt.Errorf("save network state: %w", err)
	}
	undo.release()
	return ep, nil
}

// plumb creates the veth pair of ep, host side on the bridge, container side
// as eth0 right inside the namespace at nsPath, and configures both.
func plumb(bridge, nsPath string, ep *endpointState) error {
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", bridge, err)
	}
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return err
	}
	defer ns.Close()
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: ep.HostVeth, MasterIndex: br.Attrs().Index},
		PeerName:         "eth0",
		PeerHardwareAddr: macFromIP(ep.Address.Addr()),
		PeerNamespace:    netlink.NsFd(ns),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth %s: %w", ep.HostVeth, err)
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		return fmt.Errorf("set %s up: %w", ep.HostVeth, err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	eth0, err := h.LinkByName("eth0")
	if err != nil {
		return err
	}
	if err := h.AddrAdd(eth0, &netlink.Addr{IPNet: ipNet(ep.Address)}); err != nil {
		return fmt.Errorf("add %s to eth0: %w", ep.Address, err)
	}
	if err := h.LinkSetUp(eth0); err != nil {
		return fmt.Errorf("set eth0 up: %w", err)
	}
	if err := h.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: ep.Gateway.AsSlice()}); err != nil {
		return fmt.Errorf("add default route via %s: %w", ep.Gateway, err)
	}
	return nil
}

// Detach removes a container's network: the veth pair, the namespace file,
// and its address goes back to the pool. Detaching a container that is not
// attached does nothing.
func (m *Manager) Detach(containerID string) error {
	if err := checkID(containerID); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.detachLocked(containerID)
}

func (m *Manager) detachLocked(id string) error {
	ep := m.st.Endpoints[id]
	if ep != nil {
		if err := deleteLink(ep.HostVeth); err != nil {
			return err
		}
	}
	if err := removeNetns(m.netnsPath(id)); err != nil {
		return err
	}
	if ep == nil {
		return nil
	}
	delete(m.st.Endpoints, id)
	if err := m.st.save(m.statePath); err != nil {
		m.st.Endpoints[id] = ep
		return fmt.Errorf("save network state: %w", err)
	}
	m.log.Debug("network endpoint detached", "container", id, "address", ep.Address)
	return nil
}

// Reconcile detaches every container not in known, the containers whose
// network must survive (those still running), and removes namespace files
// and veths on the bridge that no endpoint owns.
func (m *Manager) Reconcile(known []string) error {
	keep := make(map[string]bool, len(known))
	for _, id := range known {
		keep[id] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for id := range m.st.Endpoints {
		if !keep[id] {
			m.log.Info("removing network endpoint of a container that is gone", "container", id)
			errs = append(errs, m.detachLocked(id))
		}
	}
	errs = append(errs, m.sweepLocked())
	return errors.Join(errs...)
}

// sweepLocked releases endpoints whose namespace is gone (after a reboot)
// and removes namespace files and veths on the bridge that no endpoint
// owns (left by a crash halfway through Attach or Detach).
func (m *Manager) sweepLocked() error {
	var errs []error
	for id := range m.st.Endpoints {
		if !isNetns(m.netnsPath(id)) {
			m.log.Info("releasing network endpoint whose namespace is gone", "container", id)
			errs = append(errs, m.detachLocked(id))
		}
	}
	entries, err := os.ReadDir(m.cfg.RunDir)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, e := range entries {
		if _, ok := m.st.Endpoints[e.Name()]; !ok && !e.IsDir() {
			m.log.Info("removing stale network namespace", "path", m.netnsPath(e.Name()))
			errs = append(errs, removeNetns(m.netnsPath(e.Name())))
		}
	}
	errs = append(errs, m.sweepVeths())
	return errors.Join(errs...)
}

// sweepVeths deletes the veths on the bridge that no endpoint owns.
func (m *Manager) sweepVeths() error {
	br, err := netlink.LinkByName(m.cfg.Bridge)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", m.cfg.Bridge, err)
	}
	owned := map[string]bool{}
	for _, ep := range m.st.Endpoints {
		owned[ep.HostVeth] = true
	}
	links, err := netlink.LinkList()
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range links {
		a := l.Attrs()
		if l.Type() == "veth" && a.MasterIndex == br.Attrs().Index && strings.HasPrefix(a.Name, "veth") && !owned[a.Name] {
			m.log.Info("removing stale veth", "veth", a.Name)
			if err := netlink.LinkDel(l); err != nil {
				errs = append(errs, fmt.Errorf("delete %s: %w", a.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) endpoint(id string, ep *endpointState) Endpoint {
	return Endpoint{
		NetNSPath:  m.netnsPath(id),
		IPAddress:  ep.Address.Addr(),
		PrefixLen:  ep.Address.Bits(),
		Gateway:    ep.Gateway,
		MacAddress: ep.MacAddress,
		NetworkID:  m.st.NetworkID,
		EndpointID: ep.EndpointID,
	}
}

func (m *Manager) netnsPath(id string) string { return filepath.Join(m.cfg.RunDir, id) }

func (m *Manager) inUseLocked() func(netip.Addr) bool {
	used := make(map[netip.Addr]bool, len(m.st.Endpoints))
	for _, ep := range m.st.Endpoints {
		used[ep.Address.Addr()] = true
	}
	return func(a netip.Addr) bool { return used[a] }
}

// newVethName returns an unused host-side veth name: "veth" + 8 hex digits.
func (m *Manager) newVethName() (string, error) {
	for range 16 {
		b := make([]byte, 4)
		rand.Read(b)
		name := "veth" + hex.EncodeToString(b)
		if !linkExists(name) {
			return name, nil
		}
	}
	return "", errors.New("no free veth name")
}

func (m *Manager) logErr(err error, msg, id string) {
	if err != nil {
		m.log.Warn(msg, "container", id, "err", err)
	}
}

func linkExists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

// checkID accepts container IDs that are safe as a file name.
func checkID(id string) error {
	ok := id != "" && len(id) <= 128 && id[0] != '.'
	for _, r := range id {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-')
	}
	if !ok {
		return fmt.Errorf("invalid container ID %q: %w", id, errdefs.ErrInvalidArgument)
	}
	return nil
}
