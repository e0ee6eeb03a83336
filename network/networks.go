package network

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	networktypes "github.com/moby/moby/api/types/network"
)

// The bridge driver's options, as Docker names them.
const (
	optBridgeName  = "com.docker.network.bridge.name"
	optICC         = "com.docker.network.bridge.enable_icc"
	optMasquerade  = "com.docker.network.bridge.enable_ip_masquerade"
	optHostBinding = "com.docker.network.bridge.host_binding_ipv4"
	optMTU         = "com.docker.network.driver.mtu"
	optDefault     = "com.docker.network.bridge.default_bridge"
)

// Predefined reports whether name is one of the networks every daemon has.
func Predefined(name string) bool {
	return name == "bridge" || name == "host" || name == "none" || name == "default"
}

// loadNetworks reads the user-defined networks' files in dir.
func loadNetworks(dir string) (map[string]*state, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	nets := map[string]*state{}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || checkID(id) != nil {
			continue // a temp file of an interrupted write
		}
		st, err := loadState(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if st.NetworkID == id && st.Name != "" {
			nets[id] = st
		}
	}
	return nets, nil
}

// CreateNetwork makes a user-defined bridge network, as POST
// /networks/create: its bridge, subnet (a free private one when none is
// given) and rules. It returns the network's ID.
func (m *Manager) CreateNetwork(req networktypes.CreateRequest) (string, error) {
	st, err := m.newNetworkState(req)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.nets {
		if m.nameOf(o) == req.Name {
			return "", errdefs.ErrConflict.WithMessage(fmt.Sprintf("network with name %s already exists", req.Name))
		}
		if m.bridgeOf(o) == st.Bridge {
			return "", errdefs.ErrConflict.WithMessage(fmt.Sprintf("bridge name %s is already used by network %s", st.Bridge, m.nameOf(o)))
		}
	}
	if err := m.settleSubnetLocked(st); err != nil {
		return "", err
	}
	if linkExists(st.Bridge) {
		// Taking over a link Berth did not make would change its addresses.
		return "", errdefs.ErrConflict.WithMessage(fmt.Sprintf("bridge name %s: a network interface of that name exists already", st.Bridge))
	}
	var undo cleanup
	defer undo.run()
	created, err := ensureBridge(st.Bridge, st.Gateway, st.Subnet, mtuOf(st))
	if created {
		undo.add(func() { m.logErr(deleteLink(st.Bridge), "delete bridge after failed create", st.NetworkID) })
	}
	if err != nil {
		return "", err
	}
	m.nets[st.NetworkID] = st
	undo.add(func() { delete(m.nets, st.NetworkID); m.logErr(m.syncRulesLocked(), "restore rules", st.NetworkID) })
	if err := m.syncRulesLocked(); err != nil {
		return "", err
	}
	if err := st.commit(); err != nil {
		return "", err
	}
	undo.release()
	m.log.Info("network created", "network", st.Name, "id", st.NetworkID, "subnet", st.Subnet, "bridge", st.Bridge)
	return st.NetworkID, nil
}

// newNetworkState checks a create request and turns it into a network's
// state, without its subnet when none was asked for.
func (m *Manager) newNetworkState(req networktypes.CreateRequest) (*state, error) {
	if Predefined(req.Name) {
		return nil, errdefs.ErrPermissionDenied.WithMessage(fmt.Sprintf("%s is a pre-defined network and cannot be created", req.Name))
	}
	if err := checkNetworkName(req.Name); err != nil {
		return nil, err
	}
	if req.Driver != "" && req.Driver != "bridge" {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("could not find plugin %s in v1 plugin registry: plugin not found", req.Driver))
	}
	if req.EnableIPv6 != nil && *req.EnableIPv6 {
		return nil, errdefs.ErrNotImplemented.WithMessage("IPv6 networks are not supported by Berth yet")
	}
	if req.EnableIPv4 != nil && !*req.EnableIPv4 {
		return nil, errdefs.ErrNotImplemented.WithMessage("networks without IPv4 are not supported by Berth yet")
	}
	if req.Scope != "" && req.Scope != "local" {
		return nil, errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf("scope %q is not supported by Berth yet", req.Scope))
	}
	if req.ConfigOnly || req.ConfigFrom != nil && req.ConfigFrom.Network != "" || req.Ingress {
		return nil, errdefs.ErrNotImplemented.WithMessage("config-only and ingress networks are not supported by Berth yet")
	}
	id := randomHex()
	st := &state{
		NetworkID: id, Name: req.Name, Created: time.Now().UTC(), Internal: req.Internal, Attachable: req.Attachable,
		Labels: maps.Clone(req.Labels), Options: maps.Clone(req.Options), Endpoints: map[string]*endpointState{},
		path: filepath.Join(m.cfg.DataDir, networksDir, id+".json"),
	}
	if err := checkOptions(st.Options); err != nil {
		return nil, err
	}
	st.Bridge = st.Options[optBridgeName]
	if st.Bridge == "" {
		st.Bridge = "br-" + id[:12]
	}
	if err := checkIPAM(req.IPAM, st); err != nil {
		return nil, err
	}
	return st, nil
}

func checkNetworkName(name string) error {
	if name == "" {
		return errdefs.ErrInvalidArgument.WithMessage("network name cannot be empty")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid network name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name))
		}
	}
	return nil
}

// checkOptions validates the bridge driver's options Berth knows.
func checkOptions(opts map[string]string) error {
	if b, ok := opts[optBridgeName]; ok && (b == "" || len(b) > 15 || strings.ContainsAny(b, "/ \t\n:")) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid bridge name %q", b))
	}
	for _, k := range []string{optICC, optMasquerade} {
		if v, ok := opts[k]; ok {
			if _, err := strconv.ParseBool(v); err != nil {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("failed to parse %s value: %s", k, v))
			}
		}
	}
	if v, ok := opts[optMTU]; ok {
		if n, err := strconv.Atoi(v); err != nil || n < 68 || n > 65535 {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid MTU number: %s", v))
		}
	}
	if v, ok := opts[optHostBinding]; ok {
		if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid host binding address %q", v))
		}
	}
	return nil
}

// checkIPAM validates the subnet, ip-range and gateway asked for.
func checkIPAM(ipam *networktypes.IPAM, st *state) error {
	if ipam == nil {
		return nil
	}
	if ipam.Driver != "" && ipam.Driver != "default" {
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("could not find plugin %s in v1 plugin registry: plugin not found", ipam.Driver))
	}
	switch {
	case len(ipam.Config) == 0:
		return nil
	case len(ipam.Config) > 1:
		return errdefs.ErrNotImplemented.WithMessage("networks with several subnets are not supported by Berth yet")
	}
	c := ipam.Config[0]
	if !c.Subnet.IsValid() {
		if c.Gateway.IsValid() {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("no matching subnet for gateway %s", c.Gateway))
		}
		if c.IPRange.IsValid() {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("no matching subnet for ip-range %s", c.IPRange))
		}
		return nil
	}
	if !c.Subnet.Addr().Is4() {
		return errdefs.ErrNotImplemented.WithMessage("IPv6 subnets are not supported by Berth yet")
	}
	invalid := func(format string, args ...any) error {
		return errdefs.ErrInvalidArgument.WithMessage("invalid network config:\n" + fmt.Sprintf(format, args...))
	}
	if c.Subnet != c.Subnet.Masked() {
		return invalid("invalid subnet %s: it should be %s", c.Subnet, c.Subnet.Masked())
	}
	if c.Subnet.Bits() > 30 {
		return invalid("invalid subnet %s: too small, at most /30", c.Subnet)
	}
	st.Subnet, st.UserSubnet = c.Subnet, true
	if r := c.IPRange; r.IsValid() {
		switch {
		case !r.Addr().Is4():
			return invalid("invalid ip-range %s: not an IPv4 range", r)
		case r != r.Masked():
			return invalid("invalid ip-range %s: it should be %s", r, r.Masked())
		case r.Bits() < c.Subnet.Bits() || !c.Subnet.Contains(r.Addr()):
			return invalid("invalid ip-range %s: parent subnet %s doesn't contain ip-range", r, c.Subnet)
		}
		st.IPRange = r
	}
	if g := c.Gateway; g.IsValid() {
		if !c.Subnet.Contains(g) {
			return invalid("invalid gateway %s: parent subnet %s doesn't contain this address", g, c.Subnet)
		}
		if g == c.Subnet.Addr() || g == lastAddr(c.Subnet) {
			return invalid("invalid gateway %s: it is the subnet's network or broadcast address", g)
		}
		st.Gateway = g
	}
	return nil
}

// settleSubnetLocked checks a requested subnet against the other networks,
// or picks a free private one (none of the host's, nor another network's).
func (m *Manager) settleSubnetLocked(st *state) error {
	var taken []netip.Prefix
	for _, o := range m.nets {
		taken = append(taken, o.Subnet)
	}
	if st.Subnet.IsValid() {
		for _, p := range taken {
			if p.Overlaps(st.Subnet) {
				return errdefs.ErrPermissionDenied.WithMessage("invalid pool request: Pool overlaps with other one on this address space")
			}
		}
	} else {
		host, err := hostPrefixes()
		if err != nil {
			return err
		}
		subnet, err := pickSubnet(append(taken, host...))
		if err != nil {
			return errdefs.ErrUnavailable.WithMessage("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")
		}
		st.Subnet = subnet
	}
	if !st.Gateway.IsValid() {
		st.Gateway = st.Subnet.Addr().Next()
	}
	return nil
}

// RemoveNetwork deletes a user-defined network that has no endpoints: its
// bridge, rules and file.
func (m *Manager) RemoveNetwork(ref string) error {
	m.teardowns.Wait() // the veths of containers that just left go first
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := m.lookupLocked(ref)
	if err != nil {
		return err
	}
	if st == m.st {
		return errdefs.ErrPermissionDenied.WithMessage(fmt.Sprintf("%s is a pre-defined network and cannot be removed", m.nameOf(st)))
	}
	if len(st.Endpoints) > 0 {
		var eps []string
		for id, ep := range st.Endpoints {
			eps = append(eps, fmt.Sprintf("name:%q id:%q", ep.Name, id[:min(12, len(id))]))
		}
		slices.Sort(eps)
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("error while removing network: network %s has active endpoints (%s)", st.Name, strings.Join(eps, ", ")))
	}
	if err := os.Remove(st.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	delete(m.nets, st.NetworkID)
	var errs []error
	errs = append(errs, m.syncRulesLocked(), deleteLink(st.Bridge))
	m.log.Info("network removed", "network", st.Name, "id", st.NetworkID)
	return errors.Join(errs...)
}

// lookupLocked finds a network by full ID, name, or unique ID prefix, in
// Docker's order.
func (m *Manager) lookupLocked(ref string) (*state, error) {
	if ref == "" {
		return nil, notFound(ref)
	}
	if st, ok := m.nets[ref]; ok {
		return st, nil
	}
	for _, st := range m.nets {
		if m.nameOf(st) == ref {
			return st, nil
		}
	}
	var found []*state
	for id, st := range m.nets {
		if strings.HasPrefix(id, ref) {
			found = append(found, st)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, notFound(ref)
	}
	return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("network %s is ambiguous (%d matches found based on ID prefix)", ref, len(found)))
}

func notFound(ref string) error {
	return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("network %s not found", ref))
}

// nameOf is the network's name; the default network is "bridge".
func (m *Manager) nameOf(st *state) string {
	if st == m.st {
		return "bridge"
	}
	return st.Name
}

// bridgeOf is the network's kernel bridge.
func (m *Manager) bridgeOf(st *state) string {
	if st == m.st {
		return m.cfg.Bridge
	}
	return st.Bridge
}

// options are a network's driver options as inspect shows them; the
// default network's come from the daemon's settings.
func (m *Manager) options(st *state) map[string]string {
	if st == m.st {
		return map[string]string{
			optDefault: "true", optICC: "true", optMasquerade: "true",
			optHostBinding: "0.0.0.0", optBridgeName: m.cfg.Bridge, optMTU: "1500",
		}
	}
	if st.Options == nil {
		return map[string]string{}
	}
	return maps.Clone(st.Options)
}

// optionBool reads a boolean driver option; absent is true.
func optionBool(st *state, key string) bool {
	v, ok := st.Options[key]
	if !ok {
		return true
	}
	b, _ := strconv.ParseBool(v)
	return b
}

// mtuOf is the network's MTU option, 0 when unset.
func mtuOf(st *state) int {
	n, _ := strconv.Atoi(st.Options[optMTU])
	return n
}
