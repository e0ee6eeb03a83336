package network

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// plumb creates the veth pair of ep, host side on the bridge, container
// side right inside the namespace at nsPath under its interface name, and
// configures both: lo up, the address, the MAC, the MTU (mtu > 0) and, if
// the endpoint carries it, the default route via the gateway.
func plumb(bridge, nsPath string, ep *endpointState, mtu int) error {
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", bridge, err)
	}
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return err
	}
	defer ns.Close()
	mac, err := parseMAC(ep.MacAddress)
	if err != nil {
		return err
	}
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: ep.HostVeth, MasterIndex: br.Attrs().Index, MTU: mtu},
		PeerName:         ep.ifName(),
		PeerHardwareAddr: mac,
		PeerNamespace:    netlink.NsFd(ns),
		PeerMTU:          uint32(max(mtu, 0)),
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
	link, err := h.LinkByName(ep.ifName())
	if err != nil {
		return err
	}
	if err := h.AddrAdd(link, &netlink.Addr{IPNet: ipNet(ep.Address)}); err != nil {
		return fmt.Errorf("add %s to %s: %w", ep.Address, ep.ifName(), err)
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", ep.ifName(), err)
	}
	if !ep.Route {
		return nil
	}
	return defaultRoute(h, link, ep)
}

func defaultRoute(h *netlink.Handle, link netlink.Link, ep *endpointState) error {
	if err := h.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Gw: ep.Gateway.AsSlice()}); err != nil {
		return fmt.Errorf("add default route via %s: %w", ep.Gateway, err)
	}
	return nil
}

// addDefaultRoute routes the namespace at nsPath through ep's gateway.
func addDefaultRoute(nsPath string, ep *endpointState) error {
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	link, err := h.LinkByName(ep.ifName())
	if err != nil {
		return err
	}
	return defaultRoute(h, link, ep)
}
