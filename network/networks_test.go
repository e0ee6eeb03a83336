package network

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/miekg/dns"
	networktypes "github.com/moby/moby/api/types/network"
	"github.com/vishvananda/netlink"
)

func TestCheckIPAM(t *testing.T) {
	cfg := func(subnet, iprange, gw string) *networktypes.IPAM {
		c := networktypes.IPAMConfig{}
		if subnet != "" {
			c.Subnet = netip.MustParsePrefix(subnet)
		}
		if iprange != "" {
			c.IPRange = netip.MustParsePrefix(iprange)
		}
		if gw != "" {
			c.Gateway = netip.MustParseAddr(gw)
		}
		return &networktypes.IPAM{Config: []networktypes.IPAMConfig{c}}
	}
	for _, tt := range []struct {
		ipam *networktypes.IPAM
		want string // "" = valid
	}{
		{nil, ""},
		{cfg("10.5.0.0/16", "10.5.1.0/24", "10.5.0.1"), ""},
		{cfg("10.5.0.1/16", "", ""), "invalid subnet 10.5.0.1/16: it should be 10.5.0.0/16"},
		{cfg("10.5.0.0/16", "", "10.6.0.1"), "invalid gateway 10.6.0.1: parent subnet 10.5.0.0/16 doesn't contain this address"},
		{cfg("10.5.0.0/16", "10.6.0.0/24", ""), "invalid ip-range 10.6.0.0/24: parent subnet 10.5.0.0/16 doesn't contain ip-range"},
		{cfg("10.5.0.0/16", "10.5.1.1/24", ""), "invalid ip-range 10.5.1.1/24: it should be 10.5.1.0/24"},
		{cfg("", "", "10.6.0.1"), "no matching subnet for gateway 10.6.0.1"},
		{cfg("10.5.0.0/31", "", ""), "too small"},
		{&networktypes.IPAM{Driver: "other"}, "plugin not found"},
	} {
		err := checkIPAM(tt.ipam, &state{})
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("checkIPAM(%+v) = %v, want %q", tt.ipam, err, tt.want)
		}
	}
}

// testSubnet is a free /24 of 10.213.0.0/16 for a user-defined network.
func testSubnet(t *testing.T) netip.Prefix {
	return netip.MustParsePrefix(freeTestBIP(t, 24)).Masked()
}

func createNetwork(t *testing.T, m *Manager, req networktypes.CreateRequest) NetworkInfo {
	t.Helper()
	id, err := m.CreateNetwork(req)
	if err != nil {
		t.Fatal(err)
	}
	info, err := m.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteLink(info.Bridge) })
	return info
}

// TestUserNetworks creates two user-defined networks, connects containers
// to them (one to both), and checks addressing, isolation, the embedded
// resolver and that removing everything leaves nothing behind.
func TestUserNetworks(t *testing.T) {
	cfg := testConfig(t, 24)
	m := newManager(t, cfg)
	defer m.Close()
	a := createNetwork(t, m, networktypes.CreateRequest{Name: "na", IPAM: &networktypes.IPAM{Config: []networktypes.IPAMConfig{{Subnet: testSubnet(t)}}}})
	b := createNetwork(t, m, networktypes.CreateRequest{Name: "nb", IPAM: &networktypes.IPAM{Config: []networktypes.IPAMConfig{{Subnet: testSubnet(t)}}},
		Options: map[string]string{optMTU: "1400"}})
	if _, err := m.CreateNetwork(networktypes.CreateRequest{Name: "nc", IPAM: &networktypes.IPAM{Config: []networktypes.IPAMConfig{{Subnet: a.Subnet}}}}); !errdefs.IsPermissionDenied(err) {
		t.Errorf("overlapping subnet: %v", err)
	}
	if _, err := m.CreateNetwork(networktypes.CreateRequest{Name: "na"}); !errdefs.IsConflict(err) {
		t.Errorf("duplicate name: %v", err)
	}
	ctx := context.Background()
	const c1, c2, c3 = "c1aaaaaaaaaaaaaaaa", "c2bbbbbbbbbbbbbbbb", "c3cccccccccccccccc"
	connect := func(id, net string, opts EndpointOptions) Endpoint {
		t.Helper()
		opts.Fresh = true
		ep, err := m.Connect(ctx, id, net, opts)
		if err != nil {
			t.Fatal(err)
		}
		return ep
	}
	e1 := connect(c1, "na", EndpointOptions{Name: "one", Aliases: []string{"web"}})
	e2 := connect(c2, "na", EndpointOptions{Name: "two", IPv4: a.Subnet.Addr().Next().Next().Next().Next()})
	e3 := connect(c3, "nb", EndpointOptions{Name: "three"})
	e1b := connect(c1, b.ID, EndpointOptions{Name: "one"})
	if e1.IfName != "eth0" || e1b.IfName != "eth1" || e1b.Bridge != b.Bridge || e2.IPAddress != a.Subnet.Addr().Next().Next().Next().Next() {
		t.Fatalf("endpoints: %+v %+v %+v", e1, e1b, e2)
	}
	checkTCP(t, e1, e2)     // same network
	checkTCP(t, e1b, e3)    // c1 is on nb too
	checkBlocked(t, e3, e2) // across networks
	if mtu := linkMTU(t, e3.NetNSPath, "eth0"); mtu != 1400 {
		t.Errorf("MTU in a 1400 network: %d", mtu)
	}

	// c2 asks the resolver in its namespace.
	for name, want := range map[string]string{"one": e1.IPAddress.String(), "web": e1.IPAddress.String(), c1[:12]: e1.IPAddress.String(), "two.na": e2.IPAddress.String()} {
		if got := queryA(t, e2.NetNSPath, name); got != want {
			t.Errorf("A %s from c2: %q, want %s", name, got, want)
		}
	}
	if got := query(t, e2.NetNSPath, "WEB", "tcp"); got != e1.IPAddress.String() {
		t.Errorf("A WEB over TCP from c2: %q, want %s", got, e1.IPAddress)
	}
	if got := queryA(t, e3.NetNSPath, "two"); got != "" {
		t.Errorf("c3 on another network resolved two: %s", got)
	}
	if got := queryA(t, e3.NetNSPath, "one"); got != e1b.IPAddress.String() {
		t.Errorf("c3 resolved one to %q, want its address on nb %s", got, e1b.IPAddress)
	}

	if err := m.RemoveNetwork("na"); !errdefs.IsConflict(err) || !strings.Contains(err.Error(), `network na has active endpoints (name:"one" id:"c1aaaaaaaaaa", name:"two" id:"c2bbbbbbbbbb")`) {
		t.Errorf("remove a network in use: %v", err)
	}
	if err := m.Disconnect(c1, "nb"); err != nil {
		t.Fatal(err)
	}
	if n := inspectNet(t, m, "nb"); len(n.Containers) != 1 {
		t.Errorf("after disconnect: %+v", n.Containers)
	}
	checkBlocked(t, e3, e1b)
	for _, id := range []string{c1, c2, c3} {
		if err := m.Detach(id); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []NetworkInfo{a, b} {
		if err := m.RemoveNetwork(n.Name); err != nil {
			t.Fatal(err)
		}
		if linkExists(n.Bridge) {
			t.Errorf("bridge %s left", n.Bridge)
		}
	}
	out, _ := exec.Command("nft", "list", "table", "ip", cfg.Table).CombinedOutput()
	if strings.Contains(string(out), a.Bridge) || strings.Contains(string(out), b.Bridge) {
		t.Errorf("rules of removed networks left:\n%s", out)
	}
	if len(m.resolvers) != 0 {
		t.Errorf("resolvers left: %v", m.resolvers)
	}
}

func inspectNet(t *testing.T, m *Manager, ref string) networktypes.Inspect {
	t.Helper()
	n, err := m.Inspect(ref)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkBlocked fails unless a TCP connection from b to a's address fails.
func checkBlocked(t *testing.T, from, to Endpoint) {
	t.Helper()
	err := inNetns(from.NetNSPath, func() error {
		c, err := (&net.Dialer{Timeout: time.Second}).Dial("tcp4", net.JoinHostPort(to.IPAddress.String(), "9"))
		if err == nil {
			c.Close()
		}
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("%s reached %s across networks (%v)", from.IPAddress, to.IPAddress, err)
	}
}

func linkMTU(t *testing.T, nsPath, name string) int {
	t.Helper()
	var mtu int
	err := inNetns(nsPath, func() error {
		i, err := net.InterfaceByName(name)
		if err == nil {
			mtu = i.MTU
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return mtu
}

// queryA asks 127.0.0.11 inside nsPath for name's A records over UDP;
// "" when none.
func queryA(t *testing.T, nsPath, name string) string {
	t.Helper()
	return query(t, nsPath, name, "udp")
}

func query(t *testing.T, nsPath, name, proto string) string {
	t.Helper()
	var addrs []string
	err := inNetns(nsPath, func() error {
		q := new(dns.Msg)
		q.SetQuestion(dns.Fqdn(name), dns.TypeA)
		c := &dns.Client{Net: proto, Timeout: 2 * time.Second}
		r, _, err := c.Exchange(q, "127.0.0.11:53")
		if err != nil {
			return err
		}
		for _, rr := range r.Answer {
			if a, ok := rr.(*dns.A); ok {
				addrs = append(addrs, a.A.String())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("query %s: %v", name, err)
	}
	return strings.Join(addrs, ",")
}

// TestDisconnectMovesRoute disconnects a container from the network of its
// default route: the route moves to its other network.
func TestDisconnectMovesRoute(t *testing.T) {
	cfg := testConfig(t, 24)
	m := newManager(t, cfg)
	defer m.Close()
	a := createNetwork(t, m, networktypes.CreateRequest{Name: "ra", IPAM: &networktypes.IPAM{Config: []networktypes.IPAMConfig{{Subnet: testSubnet(t)}}}})
	b := createNetwork(t, m, networktypes.CreateRequest{Name: "rb", IPAM: &networktypes.IPAM{Config: []networktypes.IPAMConfig{{Subnet: testSubnet(t)}}}})
	const id = "c1dddddddddddddddd"
	ctx := context.Background()
	ea, err := m.Connect(ctx, id, a.ID, EndpointOptions{Fresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Connect(ctx, id, b.ID, EndpointOptions{}); err != nil {
		t.Fatal(err)
	}
	if gw := defaultGateway(t, ea.NetNSPath); gw != a.Gateway.String() {
		t.Fatalf("default route via %s, want %s", gw, a.Gateway)
	}
	if err := m.Disconnect(id, a.ID); err != nil {
		t.Fatal(err)
	}
	if gw := defaultGateway(t, ea.NetNSPath); gw != b.Gateway.String() {
		t.Errorf("after disconnecting ra: default route via %q, want %s", gw, b.Gateway)
	}
	if err := m.Detach(id); err != nil {
		t.Fatal(err)
	}
	for _, n := range []NetworkInfo{a, b} {
		if err := m.RemoveNetwork(n.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// defaultGateway is the gateway of the default route in nsPath.
func defaultGateway(t *testing.T, nsPath string) string {
	t.Helper()
	var gw string
	err := inNetns(nsPath, func() error {
		routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
		for _, r := range routes {
			if r.Dst == nil || r.Dst.IP.IsUnspecified() {
				gw = r.Gw.String()
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return gw
}
