package network

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/vishvananda/netlink"
)

// ensureBridge makes sure the bridge name exists, has the gateway address
// and is up; mtu > 0 sets its MTU. It reports whether it created the bridge.
func ensureBridge(name string, gateway netip.Addr, subnet netip.Prefix, mtu int) (created bool, err error) {
	link, err := netlink.LinkByName(name)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		// A fixed MAC, as Docker sets: otherwise the bridge takes the
		// lowest MAC of its ports, and the gateway's changes as
		// containers come and go.
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, HardwareAddr: randomMAC()}}
		if err := netlink.LinkAdd(br); err != nil {
			return false, fmt.Errorf("create bridge %s: %w", name, err)
		}
		created = true
		link, err = netlink.LinkByName(name)
	}
	if err != nil {
		return created, fmt.Errorf("bridge %s: %w", name, err)
	}
	if link.Type() != "bridge" {
		return created, fmt.Errorf("%s exists and is not a bridge (%s)", name, link.Type())
	}
	if err := ensureAddr(link, netip.PrefixFrom(gateway, subnet.Bits())); err != nil {
		return created, err
	}
	if mtu > 0 && link.Attrs().MTU != mtu {
		if err := netlink.LinkSetMTU(link, mtu); err != nil {
			return created, fmt.Errorf("set MTU of bridge %s: %w", name, err)
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return created, fmt.Errorf("set bridge %s up: %w", name, err)
	}
	return created, nil
}

// ensureAddr makes addr the only IPv4 address of link.
func ensureAddr(link netlink.Link, addr netip.Prefix) error {
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("list addresses of %s: %w", link.Attrs().Name, err)
	}
	have := false
	for _, a := range addrs {
		p, ok := prefixOf(a.IPNet)
		if ok && p == addr {
			have = true
			continue
		}
		// An old address (--bip changed) goes, as with Docker: its route
		// may be what made the user change it.
		if err := netlink.AddrDel(link, &a); err != nil {
			return fmt.Errorf("remove %s from %s: %w", a.IPNet, link.Attrs().Name, err)
		}
	}
	if have {
		return nil
	}
	if err := netlink.AddrAdd(link, &netlink.Addr{IPNet: ipNet(addr)}); err != nil {
		return fmt.Errorf("add %s to %s: %w", addr, link.Attrs().Name, err)
	}
	return nil
}

// bridgeAddr returns the first IPv4 address of an existing bridge, to adopt
// it when there is no saved state and no --bip (as Docker does).
func bridgeAddr(name string) (netip.Prefix, bool) {
	link, err := netlink.LinkByName(name)
	if err != nil || link.Type() != "bridge" {
		return netip.Prefix{}, false
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V4)
	if err != nil || len(addrs) == 0 {
		return netip.Prefix{}, false
	}
	return prefixOf(addrs[0].IPNet)
}

// enableIPForward switches on net.ipv4.ip_forward, if it is not on already.
func enableIPForward() (changed bool, err error) {
	const path = "/proc/sys/net/ipv4/ip_forward"
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	if string(bytes.TrimSpace(b)) == "1" {
		return false, nil
	}
	if err := os.WriteFile(path, []byte("1\n"), 0o644); err != nil {
		return false, fmt.Errorf("enable IP forwarding: %w", err)
	}
	return true, nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// randomMAC returns a random unicast, locally administered MAC address.
func randomMAC() net.HardwareAddr {
	m := make(net.HardwareAddr, 6)
	rand.Read(m)
	m[0] = m[0]&^0x01 | 0x02
	return m
}
