package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"
)

// EndpointOptions are what a container asks of its endpoint on a network.
type EndpointOptions struct {
	Name    string     // the container's name without "/", for DNS and inspect
	Aliases []string   // network-scoped aliases (user-defined networks)
	IPv4    netip.Addr // a fixed address (--ip); zero: the next free one
	MAC     string     // a fixed MAC (--mac-address); "": derived from the address
	// DNSServers are the container's own --dns servers: the embedded
	// resolver forwards to them instead of the host's.
	DNSServers []netip.Addr
	// Links are --link on a user-defined network: alias -> container
	// name, which the resolver answers for this container only.
	Links map[string]string
	// Fresh says the container is starting: when it has no endpoint yet,
	// a namespace left by an earlier run is replaced by a new one. Without
	// Fresh (connect to a running container) the namespace must exist.
	Fresh bool
}

// Attach gives a starting container its network on the default bridge: a
// named network namespace (<RunDir>/<containerID>) with lo up, and eth0,
// one end of a veth pair whose other end is on the bridge, with an address
// from the subnet, a MAC derived from it and a default route via the
// gateway. A container already attached gets its existing endpoint (a
// restarted daemon may ask again). When anything fails, what was done is
// undone.
func (m *Manager) Attach(ctx context.Context, containerID string) (Endpoint, error) {
	return m.Connect(ctx, containerID, m.Network().ID, EndpointOptions{Fresh: true})
}

// Connect gives a container an endpoint on the network ref (name or ID):
// the next free ethN in its namespace (created when Fresh and the container
// has no endpoint yet), on the network's bridge. The first endpoint of a
// container on a network that is not internal carries its default route.
func (m *Manager) Connect(ctx context.Context, containerID, ref string, opts EndpointOptions) (Endpoint, error) {
	if err := checkID(containerID); err != nil {
		return Endpoint{}, err
	}
	if err := ctx.Err(); err != nil {
		return Endpoint{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := m.lookupLocked(ref)
	if err != nil {
		return Endpoint{}, err
	}
	path := m.netnsPath(containerID)
	if ep, ok := st.Endpoints[containerID]; ok {
		if isNetns(path) && linkExists(ep.HostVeth) {
			return m.endpoint(st, containerID, ep), nil
		}
		m.log.Warn("network endpoint is incomplete, recreating it", "container", containerID, "network", m.nameOf(st))
		if err := m.dropEndpointLocked(st, containerID); err != nil {
			return Endpoint{}, err
		}
	}
	var undo cleanup
	defer undo.run()
	switch {
	case len(m.endpointsOfLocked(containerID)) > 0 && isNetns(path):
	case opts.Fresh:
		if err := m.detachLocked(containerID); err != nil { // leftovers of a crash
			return Endpoint{}, err
		}
		if err := createNetns(path); err != nil {
			return Endpoint{}, err
		}
		undo.add(func() { m.logErr(removeNetns(path), "remove netns after failed attach", containerID) })
	case !isNetns(path):
		return Endpoint{}, errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s has no network namespace of its own to connect", containerID))
	}
	ep, err := m.connectLocked(st, containerID, opts)
	if err != nil {
		return Endpoint{}, fmt.Errorf("attach container %s to network %s: %w", containerID, m.nameOf(st), err)
	}
	undo.release()
	if st != m.st {
		m.ensureResolverLocked(containerID)
	}
	m.log.Debug("network endpoint attached", "container", containerID, "network", m.nameOf(st), "address", ep.Address, "veth", ep.HostVeth)
	return m.endpoint(st, containerID, ep), nil
}

func (m *Manager) connectLocked(st *state, id string, opts EndpointOptions) (*endpointState, error) {
	ip, err := m.addressFor(st, opts.IPv4)
	if err != nil {
		return nil, err
	}
	mac := macFromIP(ip).String()
	if opts.MAC != "" {
		hw, err := net.ParseMAC(opts.MAC)
		if err != nil || len(hw) != 6 {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid MAC address: %s", opts.MAC))
		}
		mac = hw.String()
	}
	veth, err := m.newVethName()
	if err != nil {
		return nil, err
	}
	others := m.endpointsOfLocked(id)
	ep := &endpointState{
		EndpointID: randomHex(),
		Address:    netip.PrefixFrom(ip, st.Subnet.Bits()),
		Gateway:    st.Gateway,
		MacAddress: mac,
		HostVeth:   veth,
		IfName:     nextIfName(others),
		Name:       opts.Name,
		Aliases:    slices.Clone(opts.Aliases),
		Links:      maps.Clone(opts.Links),
		DNSServers: slices.Clone(opts.DNSServers),
		Route:      !st.Internal && !slices.ContainsFunc(others, func(o *endpointState) bool { return o.Route }),
	}
	var undo cleanup
	defer undo.run()
	undo.add(func() { m.logErr(deleteLink(veth), "delete veth after failed attach", id) })
	if err := plumb(m.bridgeOf(st), m.netnsPath(id), ep, mtuOf(st)); err != nil {
		return nil, err
	}
	last := st.Last
	st.Endpoints[id] = ep
	if !opts.IPv4.IsValid() {
		st.Last = ip
	}
	if err := st.commit(); err != nil {
		delete(st.Endpoints, id)
		st.Last = last
		return nil, err
	}
	undo.release()
	return ep, nil
}

// addressFor checks a requested address, or picks the next free one. An
// address whose veth is still being deleted is waited for when needed.
func (m *Manager) addressFor(st *state, want netip.Addr) (netip.Addr, error) {
	a, err := m.pickAddress(st, want)
	if err != nil && m.releasingOn(st) {
		m.teardowns.Wait()
		a, err = m.pickAddress(st, want)
	}
	return a, err
}

func (m *Manager) pickAddress(st *state, want netip.Addr) (netip.Addr, error) {
	inUse := m.inUseLocked(st)
	if !want.IsValid() {
		pool := st.Subnet
		if st.IPRange.IsValid() {
			pool = st.IPRange
		}
		return allocate(pool, st.Gateway, st.Last, func(a netip.Addr) bool {
			return inUse(a) || a == st.Subnet.Addr() || a == lastAddr(st.Subnet)
		}, m.nameOf(st))
	}
	if err := checkStaticIP(st, want); err != nil {
		return netip.Addr{}, err
	}
	if want == st.Gateway || want == st.Subnet.Addr() || want == lastAddr(st.Subnet) || inUse(want) {
		return netip.Addr{}, errdefs.ErrConflict.WithMessage(fmt.Sprintf("failed to allocate address %s: Address already in use", want))
	}
	return want, nil
}

// checkStaticIP checks a fixed address against the network, as Docker:
// only a network created with a subnet takes one, inside its ip-range.
func checkStaticIP(st *state, ip netip.Addr) error {
	if !st.UserSubnet {
		return errdefs.ErrInvalidArgument.WithMessage("user specified IP address is supported only when connecting to networks with user configured subnets")
	}
	pool := st.Subnet
	if st.IPRange.IsValid() {
		pool = st.IPRange
	}
	if !ip.Is4() || !pool.Contains(ip) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("no configured subnet or ip-range contain the IP address %s", ip))
	}
	return nil
}

// CheckStaticIP checks a fixed address (--ip) for the network ref at
// container create, before any is handed out.
func (m *Manager) CheckStaticIP(ref string, ip netip.Addr) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := m.lookupLocked(ref)
	if err != nil {
		return err
	}
	return checkStaticIP(st, ip)
}

// nextIfName is the lowest ethN no endpoint of the container uses.
func nextIfName(eps []*endpointState) string {
	for i := 0; ; i++ {
		name := fmt.Sprintf("eth%d", i)
		if !slices.ContainsFunc(eps, func(ep *endpointState) bool { return ep.ifName() == name }) {
			return name
		}
	}
}

// Disconnect takes a running container off one network: its veth goes,
// its namespace stays.
func (m *Manager) Disconnect(containerID, ref string) error {
	if err := checkID(containerID); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := m.lookupLocked(ref)
	if err != nil {
		return err
	}
	ep, ok := st.Endpoints[containerID]
	if !ok {
		return fmt.Errorf("container %s is not connected to network %s", containerID, m.nameOf(st))
	}
	if err := m.dropEndpointLocked(st, containerID); err != nil {
		return err
	}
	if ep.Route {
		m.moveRouteLocked(containerID)
	}
	if !m.onUserNetworkLocked(containerID) {
		m.stopResolverLocked(containerID)
	}
	return nil
}

// Rename gives the container's endpoints its new name (for DNS and
// inspect).
func (m *Manager) Rename(containerID, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, st := range m.nets {
		if ep, ok := st.Endpoints[containerID]; ok && ep.Name != name {
			ep.Name = name
			errs = append(errs, st.commit())
		}
	}
	return errors.Join(errs...)
}

// moveRouteLocked gives the container's default route to another endpoint
// on a network that is not internal, as Docker picks a new gateway when the
// old one's network is disconnected. A failure costs the route only.
func (m *Manager) moveRouteLocked(id string) {
	for _, st := range m.nets {
		ep, ok := st.Endpoints[id]
		if !ok || st.Internal {
			continue
		}
		if err := addDefaultRoute(m.netnsPath(id), ep); err != nil {
			m.log.Warn("moving the default route", "container", id, "network", m.nameOf(st), "err", err)
			return
		}
		ep.Route = true
		m.logErr(st.commit(), "save network state", id)
		return
	}
}

// dropEndpointLocked deletes the endpoint's veth and forgets it.
func (m *Manager) dropEndpointLocked(st *state, id string) error {
	ep := st.Endpoints[id]
	if ep == nil {
		return nil
	}
	if err := deleteLink(ep.HostVeth); err != nil {
		return err
	}
	delete(st.Endpoints, id)
	if err := st.commit(); err != nil {
		st.Endpoints[id] = ep
		return err
	}
	m.log.Debug("network endpoint detached", "container", id, "network", m.nameOf(st), "address", ep.Address)
	return nil
}

// Detach removes a container's network: every endpoint's veth pair, its
// resolver, the namespace file, and its addresses go back to the pools.
// Detaching a container that is not attached does nothing.
func (m *Manager) Detach(containerID string) error {
	if err := checkID(containerID); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.detachLocked(containerID)
}

// detachLocked removes the whole network of a container that no longer
// runs. The namespace goes first; its veths are deleted in the background,
// as deleting a veth waits ~20-30 ms for the kernel (RCU), which would
// otherwise delay every exit and removal. Their addresses stay taken until
// then; the kernel, tearing the namespace down, may delete them first.
func (m *Manager) detachLocked(id string) error {
	m.stopResolverLocked(id)
	if err := removeNetns(m.netnsPath(id)); err != nil {
		return err
	}
	var errs []error
	for _, st := range m.nets {
		errs = append(errs, m.releaseEndpointLocked(st, id))
	}
	return errors.Join(errs...)
}

// releasingOn says whether an address of st waits for its veth's deletion.
func (m *Manager) releasingOn(st *state) bool {
	m.relMu.Lock()
	defer m.relMu.Unlock()
	return len(st.releasing) > 0
}

// releaseEndpointLocked forgets a detached container's endpoint on st and
// deletes its veth in the background, holding its address until then.
func (m *Manager) releaseEndpointLocked(st *state, id string) error {
	ep := st.Endpoints[id]
	if ep == nil {
		return nil
	}
	delete(st.Endpoints, id)
	if err := st.commit(); err != nil {
		st.Endpoints[id] = ep
		return err
	}
	addr := ep.Address.Addr()
	m.relMu.Lock()
	if st.releasing == nil {
		st.releasing = map[netip.Addr]bool{}
	}
	st.releasing[addr] = true
	m.relMu.Unlock()
	m.teardowns.Add(1)
	go func() {
		defer m.teardowns.Done()
		if err := deleteLink(ep.HostVeth); err != nil {
			m.log.Warn("deleting a container's veth", "container", id, "veth", ep.HostVeth, "err", err)
		}
		m.relMu.Lock()
		delete(st.releasing, addr)
		m.relMu.Unlock()
	}()
	m.log.Debug("network endpoint detached", "container", id, "network", m.nameOf(st), "address", ep.Address)
	return nil
}

// Reconcile detaches every container not in known, the containers whose
// network must survive (those still running), removes namespace files and
// veths on the bridges that no endpoint owns, and restarts the DNS
// resolvers of the known containers on user-defined networks.
func (m *Manager) Reconcile(known []string) error {
	keep := make(map[string]bool, len(known))
	for _, id := range known {
		keep[id] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, st := range m.nets {
		for id := range st.Endpoints {
			if !keep[id] {
				m.log.Info("removing network endpoint of a container that is gone", "container", id, "network", m.nameOf(st))
				errs = append(errs, m.detachLocked(id))
			}
		}
	}
	errs = append(errs, m.sweepLocked())
	entries, err := os.ReadDir(m.cfg.RunDir)
	errs = append(errs, err)
	for _, e := range entries {
		if !keep[e.Name()] && !e.IsDir() {
			m.log.Info("removing stale network namespace", "path", m.netnsPath(e.Name()))
			errs = append(errs, removeNetns(m.netnsPath(e.Name())))
		}
	}
	for _, id := range known {
		if m.onUserNetworkLocked(id) {
			m.ensureResolverLocked(id)
		}
	}
	return errors.Join(errs...)
}

// sweepLocked releases endpoints whose namespace is gone (after a reboot)
// and removes namespace files that no endpoint names and veths on the
// bridges that no endpoint owns (left by a crash halfway through Attach or
// Detach).
func (m *Manager) sweepLocked() error {
	var errs []error
	for _, st := range m.nets {
		for id := range st.Endpoints {
			if !isNetns(m.netnsPath(id)) {
				m.log.Info("releasing network endpoint whose namespace is gone", "container", id)
				errs = append(errs, m.detachLocked(id))
			}
		}
	}
	entries, err := os.ReadDir(m.cfg.RunDir)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, e := range entries {
		if len(m.endpointsOfLocked(e.Name())) == 0 && !e.IsDir() {
			m.log.Info("removing stale network namespace", "path", m.netnsPath(e.Name()))
			errs = append(errs, removeNetns(m.netnsPath(e.Name())))
		}
	}
	errs = append(errs, m.sweepVeths())
	return errors.Join(errs...)
}

// sweepVeths deletes the veths on the bridges that no endpoint owns.
func (m *Manager) sweepVeths() error {
	bridges := map[int]bool{}
	owned := map[string]bool{}
	for _, st := range m.nets {
		br, err := netlink.LinkByName(m.bridgeOf(st))
		if err != nil {
			if st == m.st {
				return fmt.Errorf("bridge %s: %w", m.cfg.Bridge, err)
			}
			continue
		}
		bridges[br.Attrs().Index] = true
		for _, ep := range st.Endpoints {
			owned[ep.HostVeth] = true
		}
	}
	links, err := netlink.LinkList()
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range links {
		a := l.Attrs()
		if l.Type() == "veth" && bridges[a.MasterIndex] && strings.HasPrefix(a.Name, "veth") && !owned[a.Name] {
			m.log.Info("removing stale veth", "veth", a.Name)
			if err := netlink.LinkDel(l); err != nil {
				errs = append(errs, fmt.Errorf("delete %s: %w", a.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) endpoint(st *state, id string, ep *endpointState) Endpoint {
	return Endpoint{
		NetNSPath:   m.netnsPath(id),
		IPAddress:   ep.Address.Addr(),
		PrefixLen:   ep.Address.Bits(),
		Gateway:     ep.Gateway,
		MacAddress:  ep.MacAddress,
		NetworkID:   st.NetworkID,
		NetworkName: m.nameOf(st),
		EndpointID:  ep.EndpointID,
		Bridge:      m.bridgeOf(st),
		IfName:      ep.ifName(),
	}
}

// endpointsOfLocked lists the container's endpoints on every network.
func (m *Manager) endpointsOfLocked(id string) []*endpointState {
	var eps []*endpointState
	for _, st := range m.nets {
		if ep, ok := st.Endpoints[id]; ok {
			eps = append(eps, ep)
		}
	}
	return eps
}

// onUserNetworkLocked reports whether the container has an endpoint on a
// user-defined network (and so an embedded DNS resolver).
func (m *Manager) onUserNetworkLocked(id string) bool {
	for _, st := range m.nets {
		if _, ok := st.Endpoints[id]; ok && st != m.st {
			return true
		}
	}
	return false
}

func (m *Manager) netnsPath(id string) string { return filepath.Join(m.cfg.RunDir, id) }

func (m *Manager) inUseLocked(st *state) func(netip.Addr) bool {
	used := make(map[netip.Addr]bool, len(st.Endpoints))
	for _, ep := range st.Endpoints {
		used[ep.Address.Addr()] = true
	}
	m.relMu.Lock()
	for a := range st.releasing {
		used[a] = true
	}
	m.relMu.Unlock()
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
		m.log.Warn(msg, "id", id, "err", err)
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
