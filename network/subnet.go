package network

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// candidateSubnets are the subnets the default bridge may get, in order of
// preference: 172.17.0.0/16 to 172.31.0.0/16 (Docker's docker0 range), then
// 10.0.0.0/16 to 10.255.0.0/16.
func candidateSubnets() []netip.Prefix {
	var c []netip.Prefix
	for b := 17; b <= 31; b++ {
		c = append(c, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(b), 0, 0}), 16))
	}
	for b := 0; b <= 255; b++ {
		c = append(c, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(b), 0, 0}), 16))
	}
	return c
}

// pickSubnet returns the first candidate subnet that overlaps none of
// inUse (the host's addresses, routes and name servers). Default routes
// (/0) are ignored: they overlap everything.
func pickSubnet(inUse []netip.Prefix) (netip.Prefix, error) {
next:
	for _, c := range candidateSubnets() {
		for _, p := range inUse {
			if p.Bits() > 0 && p.Overlaps(c) {
				continue next
			}
		}
		return c, nil
	}
	return netip.Prefix{}, errors.New("no free private subnet for the default bridge: every candidate overlaps an address or route of the host; set one with --bip")
}

// parseBIP parses the --bip value: the bridge's (gateway's) address with the
// subnet's length, as "172.18.0.1/16".
func parseBIP(s string) (subnet netip.Prefix, gateway netip.Addr, err error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, netip.Addr{}, fmt.Errorf("invalid bip %q: want an IPv4 address with a prefix length, as 172.18.0.1/16: %w", s, errdefs.ErrInvalidArgument)
	}
	subnet = p.Masked()
	if p.Bits() > 30 {
		return netip.Prefix{}, netip.Addr{}, fmt.Errorf("invalid bip %q: the subnet is too small, at most /30: %w", s, errdefs.ErrInvalidArgument)
	}
	if p.Addr() == subnet.Addr() || p.Addr() == lastAddr(subnet) {
		return netip.Prefix{}, netip.Addr{}, fmt.Errorf("invalid bip %q: the bridge address cannot be the subnet's network or broadcast address: %w", s, errdefs.ErrInvalidArgument)
	}
	return subnet, p.Addr(), nil
}

// hostPrefixes lists what a new subnet must not overlap: the IPv4 addresses
// of every interface (with their subnets), every IPv4 route in every
// routing table, and the name servers of /etc/resolv.conf.
func hostPrefixes() ([]netip.Prefix, error) {
	var ps []netip.Prefix
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("list host addresses: %w", err)
	}
	for _, a := range addrs {
		if p, ok := prefixOf(a.IPNet); ok {
			ps = append(ps, p.Masked())
		}
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list host routes: %w", err)
	}
	for _, r := range routes {
		if p, ok := prefixOf(r.Dst); ok {
			ps = append(ps, p.Masked())
		}
	}
	return append(ps, nameservers("/etc/resolv.conf")...), nil
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}

// nameservers returns the IPv4 name servers of a resolv.conf as /32s; a
// missing file has none.
func nameservers(path string) []netip.Prefix {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var ps []netip.Prefix
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		if a, err := netip.ParseAddr(fields[1]); err == nil && a.Is4() {
			ps = append(ps, netip.PrefixFrom(a, 32))
		}
	}
	return ps
}
