package network

import (
	"fmt"

	"github.com/vishvananda/netlink"
)

// setHairpin turns hairpin mode on for every port of the bridge, as dockerd
// does without its userland proxy. With br_netfilter (bridge-nf-call-
// iptables), a container's connection to its own published port is
// DNATed while it is bridged and must leave through the port it came in
// by, which a bridge does only in hairpin mode. The container's port is
// among them: Publish runs after it joined the bridge.
func setHairpin(bridge string) error {
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", bridge, err)
	}
	links, err := netlink.LinkList()
	if err != nil {
		return err
	}
	for _, l := range links {
		if l.Attrs().MasterIndex != br.Attrs().Index {
			continue
		}
		if err := netlink.LinkSetHairpin(l, true); err != nil {
			return fmt.Errorf("hairpin mode on %s: %w", l.Attrs().Name, err)
		}
	}
	return nil
}
