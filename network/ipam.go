package network

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/containerd/errdefs"
)

// allocate returns the next free address of subnet after last, skipping the
// network and broadcast addresses, the gateway and every address inUse
// reports. Allocation is sequential and wraps at the end of the subnet, so a
// released address is handed out again only after the rest of the pool has
// been used once (an address just freed is not at once given to another
// container, which could still receive the old one's traffic).
func allocate(subnet netip.Prefix, gateway, last netip.Addr, inUse func(netip.Addr) bool, network string) (netip.Addr, error) {
	first, end := u32(subnet.Addr())+1, u32(lastAddr(subnet))-1 // usable hosts: [first, end]
	if first > end {
		return netip.Addr{}, fmt.Errorf("subnet %s has no host addresses", subnet)
	}
	start := first
	if last.Is4() && subnet.Contains(last) && u32(last) >= first && u32(last) < end {
		start = u32(last) + 1
	}
	n := end - first + 1
	for i := uint32(0); i < n; i++ {
		a := addr4(first + (start-first+i)%n)
		if a != gateway && !inUse(a) {
			return a, nil
		}
	}
	return netip.Addr{}, errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("no available IPv4 addresses on network %s (subnet %s)", network, subnet))
}

// lastAddr is the broadcast address of an IPv4 subnet.
func lastAddr(p netip.Prefix) netip.Addr {
	return addr4(u32(p.Masked().Addr()) | (1<<(32-p.Bits()) - 1))
}

// macFromIP derives a container's MAC address from its IPv4 address as
// Docker does: 02:42 followed by the four bytes of the address.
func macFromIP(a netip.Addr) net.HardwareAddr {
	b := a.As4()
	return net.HardwareAddr{0x02, 0x42, b[0], b[1], b[2], b[3]}
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func addr4(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

func parseMAC(s string) (net.HardwareAddr, error) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return nil, fmt.Errorf("invalid MAC address %q", s)
	}
	return hw, nil
}
