package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// natChain is the chain of Berth's table that holds the masquerade rules;
// filterChain holds the isolation rules between networks.
const (
	natChain    = "postrouting"
	filterChain = "forward"
)

// ruleNet is what the rules need to know of one network.
type ruleNet struct {
	Bridge     string
	Subnet     netip.Prefix
	Internal   bool // no traffic in or out of the bridge except its own
	Masquerade bool // com.docker.network.bridge.enable_ip_masquerade
	ICC        bool // com.docker.network.bridge.enable_icc
}

// setupNAT makes Berth's table hold, in one transaction,
//
//	table ip <table> {
//		chain postrouting {
//			type nat hook postrouting priority srcnat; policy accept;
//			ip saddr <subnet> oifname != "<bridge>" masquerade     # each network with masquerade
//		}
//		chain forward {
//			type filter hook forward priority filter; policy accept;
//			iifname "<i>" oifname != "<i>" drop                    # internal networks, both ways
//			oifname "<i>" iifname != "<i>" drop
//			ct status dnat accept                                  # published ports
//			iifname "<a>" oifname "<b>" drop                       # each pair of networks
//			iifname "<n>" oifname "<n>" drop                       # networks without ICC
//		}
//	}
//
// The masquerade is Docker's `-s <subnet> ! -o docker0 -j MASQUERADE`, the
// drops its DOCKER-ISOLATION chains: containers on different networks
// cannot reach each other, except through a published port. Both chains are flushed and refilled, so
// calling it again is harmless; other chains of the table are left alone.
func setupNAT(table string, nets []ruleNet) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: table})
	nat := c.AddChain(&nftables.Chain{
		Name:     natChain,
		Table:    t,
		Type:     nftables.ChainTypeNAT,
		Hooknum:  nftables.ChainHookPostrouting,
		Priority: nftables.ChainPriorityNATSource,
	})
	c.FlushChain(nat)
	fwd := c.AddChain(&nftables.Chain{
		Name:     filterChain,
		Table:    t,
		Type:     nftables.ChainTypeFilter,
		Hooknum:  nftables.ChainHookForward,
		Priority: nftables.ChainPriorityFilter,
	})
	c.FlushChain(fwd)
	for _, n := range nets {
		if n.Masquerade && !n.Internal {
			c.AddRule(&nftables.Rule{Table: t, Chain: nat, Exprs: masquerade(n.Bridge, n.Subnet)})
		}
	}
	for _, rule := range isolationRules(nets) {
		c.AddRule(&nftables.Rule{Table: t, Chain: fwd, Exprs: rule})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables table %s: %w", table, err)
	}
	return nil
}

// masquerade is `ip saddr <subnet> oifname != "<bridge>" masquerade`.
func masquerade(bridge string, subnet netip.Prefix) []expr.Any {
	mask := net.CIDRMask(subnet.Bits(), 32)
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4}, // ip saddr
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: subnet.Masked().Addr().AsSlice()},
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: ifname(bridge)},
		&expr.Masq{},
	}
}

// isolationRules are the rules of the forward chain (see setupNAT), in
// order: internal networks first, then traffic to a published port (DNAT)
// is let through, then the drops between networks.
func isolationRules(nets []ruleNet) [][]expr.Any {
	var rules [][]expr.Any
	for _, n := range nets {
		if n.Internal {
			rules = append(rules, ifacesDrop(n.Bridge, true, n.Bridge, false), ifacesDrop(n.Bridge, false, n.Bridge, true))
		}
	}
	rules = append(rules, acceptDNAT())
	for _, a := range nets {
		for _, b := range nets {
			if a.Bridge != b.Bridge {
				rules = append(rules, ifacesDrop(a.Bridge, true, b.Bridge, true))
			}
		}
	}
	for _, n := range nets {
		if !n.ICC {
			rules = append(rules, ifacesDrop(n.Bridge, true, n.Bridge, true))
		}
	}
	return rules
}

// ctStatusDNAT is IPS_DST_NAT of the conntrack status bits.
const ctStatusDNAT = 1 << 5

// acceptDNAT is `ct status dnat accept`: a container reaches a published
// port of a container on another network, as through Docker's userland
// proxy (which carries such traffic through the host, not the forward path).
func acceptDNAT() []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binaryutil.NativeEndian.PutUint32(ctStatusDNAT), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}
}

// ifacesDrop is `iifname [!=] in oifname [!=] out drop`.
func ifacesDrop(in string, inEq bool, out string, outEq bool) []expr.Any {
	op := func(eq bool) expr.CmpOp {
		if eq {
			return expr.CmpOpEq
		}
		return expr.CmpOpNeq
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: op(inEq), Register: 1, Data: ifname(in)},
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: op(outEq), Register: 1, Data: ifname(out)},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}
}

// removeNAT deletes Berth's table, if it exists.
func removeNAT(table string) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	c.DelTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: table})
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("delete nftables table %s: %w", table, err)
	}
	return nil
}

// ifname is an interface name as nftables compares it: IFNAMSIZ bytes,
// NUL-padded.
func ifname(n string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, n)
	return b
}
