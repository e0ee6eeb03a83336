package network

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// The chains the Ports component keeps in Berth's table, next to the NAT
// chains (which it never touches):
//
//	chain ports-guard {
//		type filter hook prerouting priority raw; policy accept;
//		iifname != "lo" ip daddr 127.0.0.0/8 drop
//	}
//	chain ports-prerouting {
//		type nat hook prerouting priority dstnat; policy accept;
//		fib daddr type local jump ports-dnat
//	}
//	chain ports-output {
//		type nat hook output priority dstnat; policy accept;
//		fib daddr type local jump ports-dnat
//	}
//	chain ports-dnat {
//		[ip daddr <host-ip>] meta l4proto <proto> th dport <host-port> dnat to <container-ip>:<port>
//	}
//	chain ports-postrouting {
//		type nat hook postrouting priority srcnat; policy accept;
//		oifname "<bridge>" ip daddr <container-ip> ip saddr 127.0.0.0/8 masquerade
//		oifname "<bridge>" ip daddr <container-ip> ip saddr <subnet> ct status dnat masquerade
//	}
//
// Traffic from other hosts and from containers (hairpin) passes
// prerouting, the host's own traffic output, both for any local address,
// 127.0.0.1 included. Leaving through the bridge, connections from
// 127.0.0.0/8 (allowed out of lo by route_localnet on the bridge) and
// hairpin connections from the bridge's own subnet take the gateway's
// address, so that the replies come back through the host's conntrack.
// route_localnet also lets packets for 127.0.0.0/8 in from the bridge;
// ports-guard drops those, and any arriving from another host for
// 127.0.0.0/8, so a port published on 127.0.0.1 is the host's only. The
// rules of ports-dnat and ports-postrouting are per container, tagged with
// its ID; the others are fixed.
const (
	portsGuardChain = "ports-guard"
	portsPreChain   = "ports-prerouting"
	portsOutChain   = "ports-output"
	portsDNATChain  = "ports-dnat"
	portsPostChain  = "ports-postrouting"
)

var loopbackNet = netip.MustParsePrefix("127.0.0.0/8")

// ctStatusDstNAT is IPS_DST_NAT of the conntrack status bits.
const ctStatusDstNAT = 1 << 5

// portChains are the chains of the ports rules in one table.
type portChains struct {
	t                           *nftables.Table
	guard, pre, out, post, dnat *nftables.Chain
}

// addPortChains makes c create the chains if they are missing (an existing
// one is kept, but the kernel then waits a grace period: see addPortRules).
func addPortChains(c *nftables.Conn, table string) portChains {
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: table})
	return portChains{
		t: t,
		guard: c.AddChain(&nftables.Chain{Name: portsGuardChain, Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityRaw}),
		dnat: c.AddChain(&nftables.Chain{Name: portsDNATChain, Table: t}),
		pre: c.AddChain(&nftables.Chain{Name: portsPreChain, Table: t, Type: nftables.ChainTypeNAT,
			Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest}),
		out: c.AddChain(&nftables.Chain{Name: portsOutChain, Table: t, Type: nftables.ChainTypeNAT,
			Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest}),
		post: c.AddChain(&nftables.Chain{Name: portsPostChain, Table: t, Type: nftables.ChainTypeNAT,
			Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource}),
	}
}

// syncPortRules rebuilds the ports chains of table from containers in one
// transaction (at daemon start: it also removes what a crash left). The
// chains and their fixed rules stay when no port is published: they cost
// a lookup per new connection and keep starts cheap (see addPortRules).
func syncPortRules(table string, containers map[string]*publishedContainer) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	ch := addPortChains(c, table)
	for _, chain := range []*nftables.Chain{ch.guard, ch.pre, ch.out, ch.post, ch.dnat} {
		c.FlushChain(chain)
	}
	c.AddRule(&nftables.Rule{Table: ch.t, Chain: ch.guard, Exprs: loopbackGuard()})
	c.AddRule(&nftables.Rule{Table: ch.t, Chain: ch.pre, Exprs: jumpIfLocal(portsDNATChain)})
	c.AddRule(&nftables.Rule{Table: ch.t, Chain: ch.out, Exprs: jumpIfLocal(portsDNATChain)})
	for _, id := range sortedIDs(containers) {
		pc := containers[id]
		if len(pc.Bindings) > 0 {
			if err := setRouteLocalnet(pc.Bridge); err != nil {
				return err
			}
		}
		addContainerRules(c, ch, id, pc)
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables table %s: published ports: %w", table, err)
	}
	return nil
}

// addPortRules adds one container's rules to the existing chains. Adding
// rules is cheap (~0.1 ms); deleting rules, or re-adding an existing base
// chain, costs the kernel a grace period (~10 ms here). So a start only
// adds, rules are deleted at exit (delPortRules), and the chains are made
// by syncPortRules at daemon start.
func addPortRules(table, id string, pc *publishedContainer) error {
	if err := setRouteLocalnet(pc.Bridge); err != nil {
		return err
	}
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: table}
	addContainerRules(c, portChains{t: t,
		dnat: &nftables.Chain{Name: portsDNATChain, Table: t}, post: &nftables.Chain{Name: portsPostChain, Table: t}}, id, pc)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables table %s: publishing ports: %w", table, err)
	}
	return nil
}

// addContainerRules queues a container's DNAT and masquerade rules, each
// tagged with its ID (rule user data) for delPortRules.
func addContainerRules(c *nftables.Conn, ch portChains, id string, pc *publishedContainer) {
	if len(pc.Bindings) == 0 {
		return
	}
	tag := []byte(id)
	for _, b := range pc.Bindings {
		c.AddRule(&nftables.Rule{Table: ch.t, Chain: ch.dnat, Exprs: dnatRule(b, pc.IP), UserData: tag})
	}
	c.AddRule(&nftables.Rule{Table: ch.t, Chain: ch.post, Exprs: masqueradeTo(pc.Bridge.Name, pc.IP, loopbackNet, false), UserData: tag})
	c.AddRule(&nftables.Rule{Table: ch.t, Chain: ch.post, Exprs: masqueradeTo(pc.Bridge.Name, pc.IP, pc.Bridge.Subnet, true), UserData: tag})
}

// delPortRules deletes the rules tagged with the container's ID.
func delPortRules(table, id string) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: table}
	for _, name := range []string{portsDNATChain, portsPostChain} {
		rules, err := c.GetRules(t, &nftables.Chain{Name: name, Table: t})
		if err != nil {
			return fmt.Errorf("nftables table %s: listing %s: %w", table, name, err)
		}
		for _, r := range rules {
			if string(r.UserData) == id {
				if err := c.DelRule(r); err != nil {
					return err
				}
			}
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables table %s: removing published ports: %w", table, err)
	}
	return nil
}

func sortedIDs(containers map[string]*publishedContainer) []string {
	ids := make([]string, 0, len(containers))
	for id := range containers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// setRouteLocalnet lets 127.0.0.1-sourced packets out through the bridge
// (net.ipv4.conf.<bridge>.route_localnet=1, as dockerd sets it on docker0).
func setRouteLocalnet(br PortBridge) error {
	path := "/proc/sys/net/ipv4/conf/" + br.Name + "/route_localnet"
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 && b[0] == '1' {
		return nil
	}
	if err := os.WriteFile(path, []byte("1"), 0o644); err != nil {
		return fmt.Errorf("enabling route_localnet on %s: %w", br.Name, err)
	}
	return nil
}

// loopbackGuard is `iifname != "lo" ip daddr 127.0.0.0/8 drop`.
func loopbackGuard() []expr.Any {
	return append(append([]expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: ifname("lo")},
	}, matchPrefix(16, loopbackNet)...), &expr.Verdict{Kind: expr.VerdictDrop})
}

// jumpIfLocal is `fib daddr type local jump <chain>`.
func jumpIfLocal(chain string) []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
		&expr.Verdict{Kind: expr.VerdictJump, Chain: chain},
	}
}

// dnatRule is `[ip daddr <ip>] meta l4proto <p> th dport <port> dnat to <cip>:<cport>`.
func dnatRule(b PortBinding, cip netip.Addr) []expr.Any {
	var e []expr.Any
	if !b.HostIP.IsUnspecified() {
		e = append(e, matchPrefix(16, netip.PrefixFrom(b.HostIP, 32))...)
	}
	proto := byte(unix.IPPROTO_TCP)
	if b.Proto == "udp" {
		proto = unix.IPPROTO_UDP
	}
	return append(e,
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(b.HostPort)},
		&expr.Immediate{Register: 1, Data: cip.AsSlice()},
		&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(b.ContainerPort)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	)
}

// masqueradeTo is `oifname <bridge> ip daddr <cip> ip saddr <from> [ct status dnat] masquerade`.
func masqueradeTo(bridge string, cip netip.Addr, from netip.Prefix, dnatOnly bool) []expr.Any {
	e := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(bridge)},
	}
	e = append(e, matchPrefix(16, netip.PrefixFrom(cip, 32))...)
	e = append(e, matchPrefix(12, from)...)
	if dnatOnly {
		e = append(e,
			&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
				Mask: binaryutil.NativeEndian.PutUint32(ctStatusDstNAT), Xor: make([]byte, 4)},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
		)
	}
	return append(e, &expr.Masq{})
}

// matchPrefix matches the IPv4 address at offset (12 saddr, 16 daddr) of
// the network header against p.
func matchPrefix(offset uint32, p netip.Prefix) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: net.CIDRMask(p.Bits(), 32), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p.Masked().Addr().AsSlice()},
	}
}
