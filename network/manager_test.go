package network

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/test/testenv"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// These tests change the host's network, but only through names they own:
// a bridge and an nftables table called "bt" + 6 random hex digits, veths
// on that bridge, namespaces under a temp dir, and a subnet in 10.213.0.0/16
// that overlaps nothing on the host. Traffic flows only between the test's
// namespaces. testConfig registers a cleanup that removes all of it, and
// then checks that nothing is left.

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// testConfig returns a Config with names and a subnet (10.213.x.0/bits) of
// its own.
func testConfig(t testing.TB, bits int) Config {
	t.Helper()
	testenv.RequireRoot(t)
	b := make([]byte, 3)
	rand.Read(b)
	name := "bt" + hex.EncodeToString(b)
	cfg := Config{
		DataDir:  t.TempDir(),
		RunDir:   filepath.Join(t.TempDir(), "netns"),
		Bridge:   name,
		Table:    name,
		IPTables: true,
		BIP:      freeTestBIP(t, bits),
	}
	t.Cleanup(func() { cleanupHost(t, cfg) })
	return cfg
}

func freeTestBIP(t testing.TB, bits int) string {
	inUse, err := hostPrefixes()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	rand.Read(b)
next:
	for i := range 256 {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 213, b[0] + byte(i), 0}), 24)
		for _, q := range inUse {
			if q.Bits() > 0 && q.Overlaps(p) {
				continue next
			}
		}
		return netip.PrefixFrom(p.Addr().Next(), bits).String()
	}
	t.Skip("no free test subnet in 10.213.0.0/16")
	return ""
}

// cleanupHost removes everything a test's Manager may have made, then
// checks that nothing is left.
func cleanupHost(t testing.TB, cfg Config) {
	if br, err := netlink.LinkByName(cfg.Bridge); err == nil {
		links, _ := netlink.LinkList()
		for _, l := range links {
			if l.Attrs().MasterIndex == br.Attrs().Index {
				netlink.LinkDel(l)
			}
		}
		netlink.LinkDel(br)
	}
	if st, err := loadState(filepath.Join(cfg.DataDir, stateFile)); err == nil {
		for _, ep := range st.Endpoints {
			deleteLink(ep.HostVeth)
		}
	}
	removeNAT(cfg.Table)
	entries, _ := os.ReadDir(cfg.RunDir)
	for _, e := range entries {
		removeNetns(filepath.Join(cfg.RunDir, e.Name()))
	}
	for unix.Unmount(cfg.RunDir, unix.MNT_DETACH) == nil {
	}

	if linkExists(cfg.Bridge) {
		t.Errorf("bridge %s left behind", cfg.Bridge)
	}
	if c, err := nftables.New(); err == nil {
		if _, err := c.ListTableOfFamily(cfg.Table, nftables.TableFamilyIPv4); err == nil {
			t.Errorf("nftables table %s left behind", cfg.Table)
		}
	}
	if mi, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(mi), cfg.RunDir) {
		t.Errorf("mounts under %s left behind", cfg.RunDir)
	}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newManager(t *testing.T, cfg Config) *Manager {
	t.Helper()
	m, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func attach(t *testing.T, m *Manager, id string) Endpoint {
	t.Helper()
	ep, err := m.Attach(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func TestNewSetsUpBridge(t *testing.T) {
	cfg := testConfig(t, 24)
	m := newManager(t, cfg)
	n := m.Network()
	subnet, gw, _ := parseBIP(cfg.BIP)
	if n.Name != "bridge" || n.Driver != "bridge" || n.Bridge != cfg.Bridge || !hex64.MatchString(n.ID) || n.Subnet != subnet || n.Gateway != gw {
		t.Fatalf("Network() = %+v", n)
	}
	checkBridge(t, cfg.Bridge, netip.PrefixFrom(gw, 24))
	checkNAT(t, cfg.Table, true)

	// Again, as at the next daemon start: same network, nothing doubled.
	m.Close()
	m = newManager(t, cfg)
	if m.Network() != n {
		t.Fatalf("second New: %+v, first %+v", m.Network(), n)
	}
	checkBridge(t, cfg.Bridge, netip.PrefixFrom(gw, 24))
	checkNAT(t, cfg.Table, true)

	// --iptables=false: no rules at all.
	cfg.IPTables = false
	newManager(t, cfg)
	checkNAT(t, cfg.Table, false)

	// A changed --bip replaces the bridge's address.
	cfg.BIP = netip.PrefixFrom(gw.Next().Next(), 25).String()
	m = newManager(t, cfg)
	checkBridge(t, cfg.Bridge, netip.PrefixFrom(gw.Next().Next(), 25))
	if m.Network().ID != n.ID {
		t.Fatal("network ID changed with the subnet")
	}

	entries, _ := os.ReadDir(cfg.DataDir)
	if len(entries) != 2 || entries[0].Name() != stateFile || entries[1].Name() != networksDir {
		t.Fatalf("data dir holds %v, want only %s and %s/", entries, stateFile, networksDir)
	}
}

// checkBridge checks that the bridge is up and has exactly addr.
func checkBridge(t *testing.T, name string, addr netip.Prefix) {
	t.Helper()
	br, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	if br.Type() != "bridge" || br.Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("%s: type %s flags %v", name, br.Type(), br.Attrs().Flags)
	}
	addrs, err := netlink.AddrList(br, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 1 {
		t.Fatalf("%s has addresses %v, want %s", name, addrs, addr)
	}
	if p, _ := prefixOf(addrs[0].IPNet); p != addr {
		t.Fatalf("%s has address %s, want %s", name, p, addr)
	}
}

// checkNAT checks that the table holds exactly one masquerade rule, or
// that it does not exist.
func checkNAT(t *testing.T, table string, want bool) {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := c.ListTableOfFamily(table, nftables.TableFamilyIPv4)
	if !want {
		if err == nil {
			t.Fatalf("table %s exists", table)
		}
		return
	}
	if err != nil {
		t.Fatalf("table %s: %v", table, err)
	}
	rules, err := c.GetRules(tab, &nftables.Chain{Name: natChain, Table: tab})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 {
		t.Fatalf("chain %s has %d rules, want 1", natChain, len(rules))
	}
	ex := rules[0].Exprs
	if _, ok := ex[len(ex)-1].(*expr.Masq); !ok {
		t.Fatalf("rule does not end in masquerade: %#v", ex)
	}
}

func TestAttachDetach(t *testing.T) {
	cfg := testConfig(t, 24)
	m := newManager(t, cfg)
	n := m.Network()
	a := attach(t, m, "ca")
	b := attach(t, m, "cb")
	for _, ep := range []Endpoint{a, b} {
		if !n.Subnet.Contains(ep.IPAddress) || ep.IPAddress == n.Gateway || ep.PrefixLen != 24 || ep.Gateway != n.Gateway ||
			ep.NetworkID != n.ID || !hex64.MatchString(ep.EndpointID) || ep.MacAddress != macFromIP(ep.IPAddress).String() {
			t.Fatalf("bad endpoint %+v (network %+v)", ep, n)
		}
		checkInside(t, ep)
	}
	if a.IPAddress == b.IPAddress || a.EndpointID == b.EndpointID || a.NetNSPath == b.NetNSPath {
		t.Fatalf("endpoints share an address, ID or namespace: %+v %+v", a, b)
	}
	if again := attach(t, m, "ca"); again != a {
		t.Fatalf("second Attach = %+v, want %+v", again, a)
	}
	checkVeths(t, m, 2)
	checkTCP(t, a, b)

	vethA := m.st.Endpoints["ca"].HostVeth
	if err := m.Detach("ca"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(a.NetNSPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("netns file after Detach: %v", err)
	}
	m.teardowns.Wait() // the veth goes in the background
	if linkExists(vethA) {
		t.Fatalf("veth %s after Detach", vethA)
	}
	if err := m.Detach("ca"); err != nil {
		t.Fatalf("second Detach: %v", err)
	}
	if err := m.Detach("never-attached"); err != nil {
		t.Fatalf("Detach of an unknown container: %v", err)
	}
	checkVeths(t, m, 1)
	if _, err := m.Attach(context.Background(), "../escape"); err == nil {
		t.Fatal("Attach accepted a path as container ID")
	}
}

// checkInside checks the namespace of ep: lo and eth0 up, eth0 with the
// address and MAC, a default route via the gateway, nothing else.
func checkInside(t *testing.T, ep Endpoint) {
	t.Helper()
	ns, err := netns.GetFromPath(ep.NetNSPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 2 {
		t.Fatalf("%s has %d links, want lo and eth0", ep.NetNSPath, len(links))
	}
	for _, name := range []string{"lo", "eth0"} {
		l, err := h.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if l.Attrs().Flags&net.FlagUp == 0 {
			t.Fatalf("%s is down in %s", name, ep.NetNSPath)
		}
	}
	eth0, _ := h.LinkByName("eth0")
	if eth0.Attrs().HardwareAddr.String() != ep.MacAddress {
		t.Fatalf("eth0 MAC %s, want %s", eth0.Attrs().HardwareAddr, ep.MacAddress)
	}
	addrs, err := h.AddrList(eth0, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 1 {
		t.Fatalf("eth0 addresses %v", addrs)
	}
	if p, _ := prefixOf(addrs[0].IPNet); p != netip.PrefixFrom(ep.IPAddress, ep.PrefixLen) {
		t.Fatalf("eth0 address %s, want %s/%d", p, ep.IPAddress, ep.PrefixLen)
	}
	routes, err := h.RouteList(eth0, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	def := false
	for _, r := range routes {
		if (r.Dst == nil || r.Dst.IP.IsUnspecified()) && r.Gw.Equal(ep.Gateway.AsSlice()) {
			def = true
		}
	}
	if !def {
		t.Fatalf("no default route via %s in %v", ep.Gateway, routes)
	}
}

// checkVeths checks that the bridge has exactly the endpoints' veths, up.
func checkVeths(t *testing.T, m *Manager, want int) {
	t.Helper()
	br, err := netlink.LinkByName(m.cfg.Bridge)
	if err != nil {
		t.Fatal(err)
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var ports []string
	for _, l := range links {
		if l.Attrs().MasterIndex == br.Attrs().Index {
			ports = append(ports, l.Attrs().Name)
			if l.Attrs().Flags&net.FlagUp == 0 {
				t.Errorf("%s is down", l.Attrs().Name)
			}
		}
	}
	if len(ports) != want || len(m.st.Endpoints) != want {
		t.Fatalf("bridge ports %v, endpoints %d, want %d", ports, len(m.st.Endpoints), want)
	}
	for _, ep := range m.st.Endpoints {
		if !strings.Contains(" "+strings.Join(ports, " ")+" ", " "+ep.HostVeth+" ") {
			t.Fatalf("veth %s is not on the bridge (ports %v)", ep.HostVeth, ports)
		}
	}
}

// inNetns runs fn on a thread in the namespace at path. The thread is never
// unlocked, so it ends with the goroutine instead of serving others.
func inNetns(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.GetFromPath(path)
		if err != nil {
			errc <- err
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// checkTCP connects from b's namespace to a listener in a's, over the
// bridge, and checks the echo and that the peer sees b's own address.
func checkTCP(t *testing.T, a, b Endpoint) {
	t.Helper()
	var ln net.Listener
	err := inNetns(a.NetNSPath, func() (err error) {
		ln, err = net.Listen("tcp4", net.JoinHostPort(a.IPAddress.String(), "0"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		fmt.Fprintf(c, "%s from %s\n", strings.TrimSpace(line), c.RemoteAddr().(*net.TCPAddr).IP)
	}()
	var c net.Conn
	err = inNetns(b.NetNSPath, func() (err error) {
		c, err = (&net.Dialer{Timeout: 5 * time.Second}).Dial("tcp4", ln.Addr().String())
		return err
	})
	if err != nil {
		t.Fatalf("connect from %s to %s: %v", b.IPAddress, ln.Addr(), err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "ping\n")
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("ping from %s\n", b.IPAddress); string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestAddressReuseAfterWrap(t *testing.T) {
	cfg := testConfig(t, 29) // hosts .1 to .6; .1 is the gateway
	m := newManager(t, cfg)
	base := m.Network().Subnet.Addr()
	host := func(i int) netip.Addr {
		a := base
		for range i {
			a = a.Next()
		}
		return a
	}
	expect := func(id string, want int) {
		t.Helper()
		if ep := attach(t, m, id); ep.IPAddress != host(want) {
			t.Fatalf("%s got %s, want %s", id, ep.IPAddress, host(want))
		}
	}
	expect("c0", 2)
	expect("c1", 3)
	expect("c2", 4)
	if err := m.Detach("c1"); err != nil {
		t.Fatal(err)
	}
	expect("c3", 5) // a released address is not reused at once
	expect("c4", 6)
	expect("c5", 3) // but after the pool wraps
	if _, err := m.Attach(context.Background(), "c6"); err == nil {
		t.Fatal("Attach on a full subnet succeeded")
	}
	if _, err := os.Lstat(filepath.Join(cfg.RunDir, "c6")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("failed Attach left its netns file: %v", err)
	}
	checkVeths(t, m, 5)
}

func TestAttachFailureUndoes(t *testing.T) {
	cfg := testConfig(t, 24)
	m := newManager(t, cfg)
	// Pull the bridge away: Attach fails after it made the namespace.
	if err := deleteLink(cfg.Bridge); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Attach(context.Background(), "c1"); err == nil {
		t.Fatal("Attach without a bridge succeeded")
	}
	if entries, _ := os.ReadDir(cfg.RunDir); len(entries) != 0 {
		t.Fatalf("failed Attach left %v", entries)
	}
	if len(m.st.Endpoints) != 0 {
		t.Fatalf("failed Attach left endpoints %v", m.st.Endpoints)
	}
	// The address was not used up: the first one comes again.
	m = newManager(t, cfg)
	if ep := attach(t, m, "c1"); ep.IPAddress != m.Network().Gateway.Next() {
		t.Fatalf("Attach after a failure got %s", ep.IPAddress)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Attach(ctx, "c2"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Attach with a cancelled context: %v", err)
	}
}

func TestRestartKeepsState(t *testing.T) {
	cfg := testConfig(t, 24)
	m := newManager(t, cfg)
	n := m.Network()
	a := attach(t, m, "ca")
	b := attach(t, m, "cb")
	c := attach(t, m, "cc")
	m.Close()

	// A reboot took cc's namespace.
	if err := removeNetns(c.NetNSPath); err != nil {
		t.Fatal(err)
	}
	cfg.BIP = "" // the saved subnet, not a new pick
	m = newManager(t, cfg)
	if m.Network() != n {
		t.Fatalf("after restart %+v, before %+v", m.Network(), n)
	}
	if _, ok := m.st.Endpoints["cc"]; ok {
		t.Fatal("endpoint whose namespace is gone was kept")
	}
	if got := attach(t, m, "ca"); got != a {
		t.Fatalf("Attach after restart = %+v, want the existing %+v", got, a)
	}
	d := attach(t, m, "cd")
	if d.IPAddress != c.IPAddress.Next() {
		t.Fatalf("new endpoint after restart got %s, want %s (allocation continues)", d.IPAddress, c.IPAddress.Next())
	}
	checkVeths(t, m, 3)
	checkTCP(t, b, d)
}

func TestReconcile(t *testing.T) {
	cfg := testConfig(t, 24)
	m := newManager(t, cfg)
	a := attach(t, m, "ca")
	attach(t, m, "cb")
	c := attach(t, m, "cc")
	vethB := m.st.Endpoints["cb"].HostVeth

	// Leftovers of a crash: a namespace file and a veth on the bridge that
	// no endpoint names.
	stray := filepath.Join(cfg.RunDir, "stray")
	if err := createNetns(stray); err != nil {
		t.Fatal(err)
	}
	br, _ := netlink.LinkByName(cfg.Bridge)
	strayVeth, _ := m.newVethName()
	peer, _ := m.newVethName()
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: strayVeth, MasterIndex: br.Attrs().Index}, PeerName: peer}); err != nil {
		t.Fatal(err)
	}

	if err := m.Reconcile([]string{"ca"}); err != nil {
		t.Fatal(err)
	}
	m.teardowns.Wait()
	entries, _ := os.ReadDir(cfg.RunDir)
	if len(entries) != 1 || entries[0].Name() != "ca" {
		t.Fatalf("netns dir after Reconcile: %v", entries)
	}
	for _, l := range []string{vethB, strayVeth, peer} {
		if linkExists(l) {
			t.Errorf("%s left after Reconcile", l)
		}
	}
	checkVeths(t, m, 1)
	checkInside(t, a)
	if ep := attach(t, m, "ce"); ep.IPAddress != c.IPAddress.Next() {
		t.Fatalf("Attach after Reconcile got %s, want %s", ep.IPAddress, c.IPAddress.Next())
	}
}

// TestNewPicksFreeSubnet runs New inside a namespace of its own whose
// "host" has an address in 172.17.0.0/16 and a route into 172.18.0.0/16:
// the default bridge must get neither, and keep its pick at the next start.
func TestNewPicksFreeSubnet(t *testing.T) {
	cfg := testConfig(t, 24)
	cfg.BIP = ""
	nsPath := filepath.Join(t.TempDir(), "host")
	if err := createNetns(nsPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeNetns(nsPath) })
	taken := []netip.Prefix{netip.MustParsePrefix("172.17.0.0/16"), netip.MustParsePrefix("172.18.0.0/16")}
	want, err := pickSubnet(append(taken, nameservers("/etc/resolv.conf")...))
	if err != nil {
		t.Fatal(err)
	}
	err = inNetns(nsPath, func() error {
		uplink := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "uplink"}} // a bridge: the dummy driver may be missing
		if err := netlink.LinkAdd(uplink); err != nil {
			return err
		}
		if err := netlink.AddrAdd(uplink, &netlink.Addr{IPNet: ipNet(netip.MustParsePrefix("172.17.0.5/16"))}); err != nil {
			return err
		}
		if err := netlink.LinkSetUp(uplink); err != nil {
			return err
		}
		if err := netlink.RouteAdd(&netlink.Route{LinkIndex: uplink.Attrs().Index, Dst: ipNet(netip.MustParsePrefix("172.18.0.0/16"))}); err != nil {
			return err
		}
		for range 2 { // the second start keeps the first one's pick
			m, err := New(cfg, testLogger(t))
			if err != nil {
				return err
			}
			if n := m.Network(); n.Subnet != want || n.Gateway != want.Addr().Next() {
				return fmt.Errorf("picked %s gateway %s, want %s", n.Subnet, n.Gateway, want)
			}
			br, err := netlink.LinkByName(cfg.Bridge)
			if err != nil {
				return err
			}
			addrs, err := netlink.AddrList(br, netlink.FAMILY_V4)
			if err != nil {
				return err
			}
			if len(addrs) != 1 || addrs[0].IPNet.String() != netip.PrefixFrom(want.Addr().Next(), 16).String() {
				return fmt.Errorf("bridge addresses %v, want %s", addrs, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
