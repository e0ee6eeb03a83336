package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/berth/berth/atomicfile"
	"github.com/containerd/errdefs"
)

// Published ports: the Ports component publishes container ports on the
// host at kernel speed, with no userland proxy. For each binding it holds a
// bound socket on the host port (so no other process can take it, as
// docker-proxy does) and keeps DNAT rules in Berth's nftables table (see
// ports_nft.go). Its seam is narrow: a container's bridge, its address and
// what to publish.
//
// State: the Ports component knows every container on a bridge (for the
// FORWARD accept rules) and saves those that publish ports, with bridge,
// address and bindings, in <exec-root>/ports.json (under the exec root:
// the rules do not survive a reboot either). The nftables rules are always
// rebuilt from the state in one transaction, so they never drift from it.
// While berthd is down the rules stay and keep serving; on restart
// Reconcile drops the containers that stopped meanwhile and binds the
// sockets of the others again.

// PortsConfig configures the Ports component.
type PortsConfig struct {
	StateFile string // <exec-root>/ports.json
	Table     string // Berth's nftables table (family ip), shared with the NAT rules
	// IPTables is --iptables: false keeps the reservations but installs
	// no rule (as dockerd with --iptables=false and no userland proxy).
	IPTables bool
}

// PortBridge is the bridge a container is attached to, as the rules need it.
type PortBridge struct {
	Name   string       // kernel bridge name
	Subnet netip.Prefix // the bridge network's subnet
}

// PortRequest is one container port to publish, from HostConfig.PortBindings
// or -P.
type PortRequest struct {
	Proto         string     // "tcp" or "udp"
	ContainerPort uint16     //
	HostIP        netip.Addr // zero or 0.0.0.0: every host address
	// HostPortFirst..HostPortLast is the host port or the range to take one
	// from; 0 is an ephemeral port.
	HostPortFirst, HostPortLast uint16
}

// PortBinding is a published port.
type PortBinding struct {
	Proto         string     `json:"proto"`
	HostIP        netip.Addr `json:"hostIP"` // 0.0.0.0 for every address
	HostPort      uint16     `json:"hostPort"`
	ContainerPort uint16     `json:"containerPort"`
}

// publishedContainer is one container's entry in ports.json.
type publishedContainer struct {
	Bridge   PortBridge    `json:"bridge"`
	IP       netip.Addr    `json:"ip"`
	Bindings []PortBinding `json:"bindings"`
}

// Ports publishes container ports on the host.
type Ports struct {
	cfg   PortsConfig
	log   *slog.Logger
	alloc *portAllocator
	fwd   *forwardFilter

	// mu guards containers and the kernel rules built from it.
	mu         sync.Mutex
	containers map[string]*publishedContainer
}

// NewPorts loads the saved state. The rules in the kernel stay as they are
// until Reconcile, which the daemon calls once it knows what still runs.
func NewPorts(cfg PortsConfig, log *slog.Logger) (*Ports, error) {
	if cfg.StateFile == "" || cfg.Table == "" {
		return nil, fmt.Errorf("ports: StateFile and Table are required: %w", errdefs.ErrInvalidArgument)
	}
	p := &Ports{cfg: cfg, log: log, alloc: newPortAllocator(), fwd: newForwardFilter(cfg.Table, log),
		containers: map[string]*publishedContainer{}}
	b, err := os.ReadFile(cfg.StateFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, &p.containers); err != nil {
			return nil, fmt.Errorf("reading %s: %w", cfg.StateFile, err)
		}
	}
	return p, nil
}

// Publish reserves the host ports of reqs for container id, whose address
// on br is ip, and installs the rules. A container with no request is still
// recorded, so that its bridge's forwarding is allowed (see forwardFilter).
// On failure nothing is left: no socket, no rule, no state.
func (p *Ports) Publish(id string, br PortBridge, ip netip.Addr, reqs []PortRequest) ([]PortBinding, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	persist := len(reqs) > 0
	if old, ok := p.containers[id]; ok { // published again without Unpublish: replace
		persist = persist || len(old.Bindings) > 0
		p.unpublishLocked(id)
		if len(old.Bindings) > 0 && p.cfg.IPTables {
			if err := delPortRules(p.cfg.Table, id); err != nil {
				return nil, err
			}
		}
	}
	fail := func(err error) ([]PortBinding, error) {
		p.unpublishLocked(id)
		if persist {
			if err2 := p.saveLocked(); err2 != nil {
				p.log.Warn("saving published ports", "err", err2)
			}
		}
		return nil, err
	}
	bindings := make([]PortBinding, 0, len(reqs))
	for _, r := range reqs {
		b, err := p.alloc.reserve(id, r, ip)
		if err != nil {
			return fail(err)
		}
		bindings = append(bindings, b)
	}
	if len(bindings) > 0 && p.cfg.IPTables {
		if err := setHairpin(br.Name); err != nil {
			return fail(err)
		}
	}
	pc := &publishedContainer{Bridge: br, IP: ip, Bindings: bindings}
	p.containers[id] = pc
	if persist {
		if err := p.saveLocked(); err != nil {
			return fail(err)
		}
	}
	if len(bindings) > 0 && p.cfg.IPTables {
		if err := addPortRules(p.cfg.Table, id, pc); err != nil {
			// The chains are gone (the table was deleted since berthd
			// started): rebuild them with every container's rules.
			if err2 := syncPortRules(p.cfg.Table, p.containers); err2 != nil {
				return fail(fmt.Errorf("%w; rebuilding: %w", err, err2))
			}
		}
	}
	if err := p.syncForwardLocked(); err != nil {
		if len(bindings) > 0 && p.cfg.IPTables {
			_ = delPortRules(p.cfg.Table, id)
		}
		return fail(err)
	}
	return slices.Clone(bindings), nil
}

// Unpublish removes the container's rules and frees its host ports. It is
// idempotent.
func (p *Ports) Unpublish(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pc, ok := p.containers[id]
	if !ok {
		return nil
	}
	p.unpublishLocked(id)
	if len(pc.Bindings) > 0 {
		if err := p.saveLocked(); err != nil {
			return err
		}
		if p.cfg.IPTables {
			if err := delPortRules(p.cfg.Table, id); err != nil {
				return err
			}
		}
	}
	return p.syncForwardLocked()
}

func (p *Ports) unpublishLocked(id string) {
	delete(p.containers, id)
	p.alloc.release(id)
}

// Bindings returns the container's published ports (nil if none).
func (p *Ports) Bindings(id string) []PortBinding {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pc := p.containers[id]; pc != nil {
		return slices.Clone(pc.Bindings)
	}
	return nil
}

// Reconcile keeps the containers in running (container ID -> bridge name)
// and drops the rest (they stopped while berthd was down, or a start was
// cut short), binds the kept containers' host ports again and rebuilds the
// rules, which also removes rules a crash left behind. Containers that
// publish nothing are not saved (a state write per start costs ~2 ms):
// running gives their bridges back.
func (p *Ports) Reconcile(running map[string]string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, bridge := range running {
		if _, ok := p.containers[id]; !ok {
			p.containers[id] = &publishedContainer{Bridge: PortBridge{Name: bridge}}
		}
	}
	for id, pc := range p.containers {
		if _, ok := running[id]; !ok {
			delete(p.containers, id)
			p.alloc.release(id)
			continue
		}
		for _, b := range pc.Bindings {
			if err := p.alloc.rebind(id, b); err != nil {
				// The rules still send the port's traffic to the container;
				// only the reservation against other processes is lost.
				p.log.Warn("re-reserving a published port", "container", id, "port", b.HostPort, "proto", b.Proto, "err", err)
			}
		}
	}
	if err := p.saveLocked(); err != nil {
		return err
	}
	if p.cfg.IPTables {
		// Rebuild: a crash may have left rules the state does not have.
		if err := syncPortRules(p.cfg.Table, p.containers); err != nil {
			return err
		}
	}
	p.fwd.forget() // check the host's filter again
	return p.syncForwardLocked()
}

// syncForwardLocked updates the FORWARD accept rules (see forwardFilter).
func (p *Ports) syncForwardLocked() error {
	if !p.cfg.IPTables {
		return nil
	}
	return p.fwd.sync(p.containers)
}

// saveLocked writes the containers that publish ports to the state file.
func (p *Ports) saveLocked() error {
	publishing := map[string]*publishedContainer{}
	for id, pc := range p.containers {
		if len(pc.Bindings) > 0 {
			publishing[id] = pc
		}
	}
	b, err := json.Marshal(publishing)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.cfg.StateFile), 0o700); err != nil {
		return err
	}
	if err := atomicfile.Write(p.cfg.StateFile, b, 0o600); err != nil {
		return fmt.Errorf("saving published ports: %w", err)
	}
	return nil
}
