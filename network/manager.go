package network

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Config is the default bridge network's configuration.
type Config struct {
	DataDir string // <data-root>/network: persistent state (see the package doc)
	RunDir  string // <exec-root>/netns: named network namespace bind mounts
	Bridge  string // bridge name (--bridge); default "berth0"
	// BIP is the bridge's address with the subnet's length (--bip), as
	// "172.18.0.1/16". Empty: the subnet saved at an earlier start, else
	// the first free private /16 (see pickSubnet), chosen once and saved.
	BIP string
	// IPTables makes the Manager keep the masquerade rule in its nftables
	// table (--iptables). False: no rules at all, and the table is deleted.
	IPTables bool
	Table    string // nftables table (family ip); default "berth"
	// ResolvConf is the host's resolver configuration, whose name servers
	// the embedded DNS resolver forwards to; default /etc/resolv.conf.
	ResolvConf string
}

// NetworkInfo is the short description of a network (the seam for port
// publishing: bridge, subnet, gateway, host binding address).
type NetworkInfo struct {
	Name     string // "bridge" for the default network
	ID       string // 64 hex digits, stable across restarts
	Driver   string // "bridge"
	Subnet   netip.Prefix
	Gateway  netip.Addr
	Bridge   string // the kernel bridge's name
	Internal bool
	// HostBindingIPv4 is com.docker.network.bridge.host_binding_ipv4:
	// the default host address of published ports ("" = all).
	HostBindingIPv4 string
}

// Endpoint is a container's attachment to one network: what inspect
// shows and /etc/hosts needs.
type Endpoint struct {
	NetNSPath   string // the named network namespace to run the container in
	IPAddress   netip.Addr
	PrefixLen   int
	Gateway     netip.Addr
	MacAddress  string
	NetworkID   string // 64 hex digits
	NetworkName string
	EndpointID  string // 64 hex digits
	Bridge      string // the kernel bridge the endpoint is on
	IfName      string // inside the container: eth0, eth1, ...
}

// Manager owns the bridge networks: the default one and the user-defined
// ones, their endpoints and the DNS resolvers of containers on them.
type Manager struct {
	cfg       Config
	log       *slog.Logger
	statePath string

	// mu guards st, nets, resolvers and the kernel objects of endpoints
	// (netns files, veths, bridges): changes run one at a time.
	mu        sync.Mutex
	st        *state            // the default network
	nets      map[string]*state // every network by ID, the default one included
	resolvers map[string]*resolver

	// teardowns are veth deletions of detached containers still running
	// in the background (see releaseEndpointLocked); relMu guards the
	// addresses they hold (state.releasing), without mu, so that a holder
	// of mu can wait for them.
	teardowns sync.WaitGroup
	relMu     sync.Mutex
}

// New sets up the default bridge network: the saved state (or a new subnet),
// the bridge with its gateway address, IP forwarding, the nftables table,
// and removes what an interrupted Attach or Detach, or a reboot, left behind.
func New(cfg Config, log *slog.Logger) (*Manager, error) {
	if cfg.Bridge == "" {
		cfg.Bridge = "berth0"
	}
	if cfg.Table == "" {
		cfg.Table = "berth"
	}
	if cfg.ResolvConf == "" {
		cfg.ResolvConf = "/etc/resolv.conf"
	}
	if cfg.DataDir == "" || cfg.RunDir == "" {
		return nil, fmt.Errorf("network: DataDir and RunDir are required: %w", errdefs.ErrInvalidArgument)
	}
	if len(cfg.Bridge) > 15 {
		return nil, fmt.Errorf("bridge name %q is longer than 15 bytes: %w", cfg.Bridge, errdefs.ErrInvalidArgument)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, log: log, statePath: filepath.Join(cfg.DataDir, stateFile), resolvers: map[string]*resolver{}}
	st, err := loadState(m.statePath)
	if err != nil {
		return nil, err
	}
	m.st = st
	if err := m.chooseSubnet(); err != nil {
		return nil, err
	}
	if err := m.st.save(m.statePath); err != nil {
		return nil, fmt.Errorf("save network state: %w", err)
	}
	if m.nets, err = loadNetworks(filepath.Join(cfg.DataDir, networksDir)); err != nil {
		return nil, err
	}
	m.nets[st.NetworkID] = st
	if err := m.setupHost(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.sweepLocked(); err != nil {
		// Leftovers cost a file or a veth, not the network: start anyway.
		m.log.Warn("cleaning up stale network endpoints", "err", err)
	}
	return m, nil
}

// chooseSubnet settles the network's ID, subnet and gateway: --bip if
// given, else the saved ones, else the bridge's existing address, else a
// free private subnet.
func (m *Manager) chooseSubnet() error {
	st := m.st
	if st.NetworkID == "" {
		st.NetworkID = randomHex()
	}
	if st.Created.IsZero() {
		st.Created = time.Now().UTC()
	}
	switch {
	case m.cfg.BIP != "":
		subnet, gw, err := parseBIP(m.cfg.BIP)
		if err != nil {
			return err
		}
		if st.Subnet.IsValid() && (st.Subnet != subnet || st.Gateway != gw) {
			m.log.Info("default bridge address changed", "bridge", m.cfg.Bridge, "old", netip.PrefixFrom(st.Gateway, st.Subnet.Bits()), "new", m.cfg.BIP)
		}
		st.Subnet, st.Gateway = subnet, gw
	case st.Subnet.IsValid():
	default:
		if p, ok := bridgeAddr(m.cfg.Bridge); ok && p.Bits() <= 30 {
			st.Subnet, st.Gateway = p.Masked(), p.Addr()
			break
		}
		inUse, err := hostPrefixes()
		if err != nil {
			return err
		}
		subnet, err := pickSubnet(inUse)
		if err != nil {
			return err
		}
		st.Subnet, st.Gateway = subnet, subnet.Addr().Next()
		m.log.Info("picked a subnet for the default bridge", "bridge", m.cfg.Bridge, "subnet", subnet)
	}
	return nil
}

// setupHost creates the bridge, switches on forwarding and writes the NAT
// rules; on failure it deletes a bridge it created.
func (m *Manager) setupHost() (err error) {
	if err := ensureNetnsDir(m.cfg.RunDir); err != nil {
		return err
	}
	created, err := ensureBridge(m.cfg.Bridge, m.st.Gateway, m.st.Subnet, 0)
	if created {
		defer func() {
			if err != nil {
				deleteLink(m.cfg.Bridge)
			}
		}()
	}
	if err != nil {
		return err
	}
	if changed, err := enableIPForward(); err != nil {
		return err
	} else if changed {
		m.log.Info("enabled IP forwarding (net.ipv4.ip_forward=1)")
	}
	for _, st := range m.nets {
		if st != m.st {
			if _, err := ensureBridge(st.Bridge, st.Gateway, st.Subnet, mtuOf(st)); err != nil {
				m.log.Warn("setting up the bridge of a network", "network", st.Name, "err", err)
			}
		}
	}
	return m.syncRulesLocked()
}

// syncRulesLocked rewrites the masquerade and isolation rules for the
// networks there are now (or deletes the table with --iptables=false).
func (m *Manager) syncRulesLocked() error {
	if !m.cfg.IPTables {
		return removeNAT(m.cfg.Table)
	}
	var rs []ruleNet
	for _, st := range m.nets {
		rs = append(rs, ruleNet{Bridge: m.bridgeOf(st), Subnet: st.Subnet, Internal: st.Internal,
			Masquerade: optionBool(st, optMasquerade), ICC: optionBool(st, optICC)})
	}
	return setupNAT(m.cfg.Table, rs)
}

// Network describes the default network: the seam for port publishing.
func (m *Manager) Network() NetworkInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.infoOf(m.st)
}

// Created is when the default network was first set up.
func (m *Manager) Created() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.Created
}

// Close is called when the daemon stops. With no endpoint left (no
// container runs on the bridge through the daemon's absence), it unmounts
// the namespace directory's own bind mount, so the exec root can go; the
// bridge and its rules stay, like docker0.
func (m *Manager) Close() error {
	m.teardowns.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, r := range m.resolvers {
		r.close()
		delete(m.resolvers, id)
	}
	for _, st := range m.nets {
		if len(st.Endpoints) > 0 {
			return nil
		}
	}
	if err := unix.Unmount(m.cfg.RunDir, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("unmounting %s: %w", m.cfg.RunDir, err)
	}
	return nil
}

// deleteLink deletes the link called name; one that is gone is fine.
func deleteLink(name string) error {
	l, err := netlink.LinkByName(name)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

// randomHex returns 64 random hex digits.
func randomHex() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
