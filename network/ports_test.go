package network

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/berth/berth/test/testenv"
)

var testCIP = netip.MustParseAddr("172.30.0.2")

// freePort returns a TCP port nothing listens on just now.
func freePort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

func tcp(ip string, first, last uint16) PortRequest {
	r := PortRequest{Proto: "tcp", ContainerPort: 80, HostPortFirst: first, HostPortLast: last}
	if ip != "" {
		r.HostIP = netip.MustParseAddr(ip)
	}
	return r
}

func TestReserveConflicts(t *testing.T) {
	a := newPortAllocator()
	defer a.release("a")
	defer a.release("b")
	p := freePort(t)
	b, err := a.reserve("a", tcp("", p, p), testCIP)
	if err != nil {
		t.Fatal(err)
	}
	if b.HostIP != netip.IPv4Unspecified() || b.HostPort != p {
		t.Fatalf("binding %+v", b)
	}
	// The socket holds the port against host processes too.
	if l, err := net.Listen("tcp4", b.HostIP.String()+":"+itoa(p)); err == nil {
		l.Close()
		t.Fatal("a host process could listen on a reserved port")
	}
	want := "Bind for 0.0.0.0:" + itoa(p) + " failed: port is already allocated"
	if _, err := a.reserve("b", tcp("", p, p), testCIP); err == nil || err.Error() != want {
		t.Fatalf("same port: %v, want %q", err, want)
	}
	want = "Bind for 127.0.0.1:" + itoa(p) + " failed: port is already allocated"
	if _, err := a.reserve("b", tcp("127.0.0.1", p, p), testCIP); err == nil || err.Error() != want {
		t.Fatalf("0.0.0.0 held, 127.0.0.1 asked: %v, want %q", err, want)
	}
	udp := PortRequest{Proto: "udp", ContainerPort: 53, HostPortFirst: p, HostPortLast: p}
	if _, err := a.reserve("b", udp, testCIP); err != nil {
		t.Fatalf("udp on a tcp port's number: %v", err)
	}
	a.release("a")
	if _, err := a.reserve("b", tcp("127.0.0.1", p, p), testCIP); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestReserveHeldByHostProcess(t *testing.T) {
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := uint16(l.Addr().(*net.TCPAddr).Port)
	a := newPortAllocator()
	_, err = a.reserve("a", tcp("", p, p), testCIP)
	want := "failed to bind host port for 0.0.0.0:" + itoa(p) + ":172.30.0.2:80/tcp: address already in use"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if len(a.held) != 0 {
		t.Fatalf("a failed reserve holds %v", a.held)
	}
}

func TestReserveEphemeralAndRange(t *testing.T) {
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := uint16(l.Addr().(*net.TCPAddr).Port) // held by a host process
	a := newPortAllocator()
	defer a.release("a")
	a.first, a.last = p, p+2
	var got []uint16
	for range 2 {
		b, err := a.reserve("a", tcp("", 0, 0), testCIP)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b.HostPort)
	}
	if !slices.Equal(got, []uint16{p + 1, p + 2}) {
		t.Fatalf("ephemeral ports %v, want %d and %d", got, p+1, p+2)
	}
	if _, err := a.reserve("a", tcp("", 0, 0), testCIP); err == nil || err.Error() != "all ports are allocated" {
		t.Fatalf("exhausted range: %v", err)
	}
	a.release("a")
	// A host range takes its first free port.
	b, err := a.reserve("a", tcp("", p, p+2), testCIP)
	if err != nil || b.HostPort != p+1 {
		t.Fatalf("range: %+v, %v", b, err)
	}
}

func TestForwardRules(t *testing.T) {
	got := forwardRules(map[string]*publishedContainer{
		"b": {Bridge: PortBridge{Name: "berth0"}, IP: netip.MustParseAddr("172.17.0.3")},
		"a": {Bridge: PortBridge{Name: "berth0"}, IP: testCIP, Bindings: []PortBinding{
			{Proto: "udp", HostIP: netip.IPv4Unspecified(), HostPort: 5353, ContainerPort: 53}}},
	})
	want := []string{
		"-o berth0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
		"-i berth0 -j ACCEPT",
		"-d 172.30.0.2/32 ! -i berth0 -o berth0 -p udp -m udp --dport 53 -j ACCEPT",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := forwardRules(nil); len(got) != 0 {
		t.Fatalf("no container: %v", got)
	}
}

// testBridgeAndTable creates a bridge for a test and names its table;
// both go when the test ends.
func testBridgeAndTable(t testing.TB) (bridge, table string) {
	testenv.RequireRoot(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	bridge = "btp" + hex.EncodeToString(b)
	table = "berth_" + bridge
	if out, err := exec.Command("ip", "link", "add", bridge, "type", "bridge").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "delete", bridge).Run()
		_ = exec.Command("nft", "delete", "table", "ip", table).Run()
	})
	return bridge, table
}

// TestPublishRules publishes into a real nftables table and checks the
// rules come and go with the container.
func TestPublishRules(t *testing.T) {
	bridge, table := testBridgeAndTable(t)
	state := filepath.Join(t.TempDir(), "ports.json")
	p, err := NewPorts(PortsConfig{StateFile: state, Table: table, IPTables: true}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Reconcile(map[string]string{}); err != nil {
		t.Fatal(err)
	}
	hp := freePort(t)
	br := PortBridge{Name: bridge, Subnet: netip.MustParsePrefix("172.30.0.0/24")}
	got, err := p.Publish("c1", br, testCIP, []PortRequest{tcp("127.0.0.1", hp, hp)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].HostPort != hp {
		t.Fatalf("bindings %+v", got)
	}
	rules := nftList(t, table)
	for _, want := range []string{
		"ip daddr 127.0.0.1 tcp dport " + itoa(hp) + " dnat to 172.30.0.2:80",
		`oifname "` + bridge + `" ip daddr 172.30.0.2 ip saddr 127.0.0.0/8 masquerade`,
		`oifname "` + bridge + `" ip daddr 172.30.0.2 ip saddr 172.30.0.0/24 ct status dnat masquerade`,
		"fib daddr type local jump ports-dnat",
		`iifname != "lo" ip daddr 127.0.0.0/8 drop`,
	} {
		if !strings.Contains(rules, want) {
			t.Errorf("rules lack %q:\n%s", want, rules)
		}
	}
	// A restarted daemon finds the container in the state file.
	p2, err := NewPorts(PortsConfig{StateFile: state, Table: table, IPTables: true}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if b := p2.Bindings("c1"); len(b) != 1 || b[0] != got[0] {
		t.Fatalf("reloaded bindings %+v", b)
	}
	// Published again (no Unpublish between): the old rules go.
	hp2 := freePort(t)
	if _, err := p.Publish("c1", br, testCIP, []PortRequest{tcp("", hp2, hp2)}); err != nil {
		t.Fatal(err)
	}
	if rules := nftList(t, table); strings.Contains(rules, "dport "+itoa(hp)+" ") || !strings.Contains(rules, "dport "+itoa(hp2)+" ") {
		t.Errorf("republished: rules\n%s", rules)
	}
	// Rules a crash left (no state names "ghost") go at Reconcile.
	ghost := &publishedContainer{Bridge: br, IP: netip.MustParseAddr("172.30.0.9"), Bindings: []PortBinding{
		{Proto: "udp", HostIP: netip.IPv4Unspecified(), HostPort: 9, ContainerPort: 9}}}
	if err := addPortRules(table, "ghost", ghost); err != nil {
		t.Fatal(err)
	}
	if err := p.Reconcile(map[string]string{"c1": bridge}); err != nil {
		t.Fatal(err)
	}
	if rules := nftList(t, table); strings.Contains(rules, "172.30.0.9") || !strings.Contains(rules, "dport "+itoa(hp2)+" ") {
		t.Errorf("after Reconcile: rules\n%s", rules)
	}
	if err := p.Unpublish("c1"); err != nil {
		t.Fatal(err)
	}
	rules = nftList(t, table)
	if strings.Contains(rules, "dnat to") || strings.Contains(rules, "masquerade") {
		t.Errorf("rules left after unpublish:\n%s", rules)
	}
	if !portFreeTCP(hp) || !portFreeTCP(hp2) {
		t.Errorf("ports still held after unpublish")
	}
}

func nftList(t *testing.T, table string) string {
	t.Helper()
	out, err := exec.Command("nft", "list", "table", "ip", table).CombinedOutput()
	if err != nil {
		t.Fatalf("nft list: %v: %s", err, out)
	}
	return string(out)
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

// BenchmarkPublishNoPorts is what every bridge container's start and exit
// pay for the Ports component when it publishes nothing (a state write each).
func BenchmarkPublishNoPorts(b *testing.B) {
	p, err := NewPorts(PortsConfig{StateFile: filepath.Join(b.TempDir(), "ports.json"), Table: "unused"}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	br := PortBridge{Name: "berth0", Subnet: netip.MustParsePrefix("172.30.0.0/24")}
	for b.Loop() {
		if _, err := p.Publish("c1", br, testCIP, nil); err != nil {
			b.Fatal(err)
		}
		if err := p.Unpublish("c1"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReconcileKeepsBridgesOfRunning: a restarted daemon drops what no
// longer runs and learns the bridges of running containers that publish
// nothing (they are not saved), for the FORWARD accept rules.
func TestReconcileKeepsBridgesOfRunning(t *testing.T) {
	state := filepath.Join(t.TempDir(), "ports.json")
	p, err := NewPorts(PortsConfig{StateFile: state, Table: "unused"}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	br := PortBridge{Name: "br1", Subnet: netip.MustParsePrefix("172.30.0.0/24")}
	hp := freePort(t)
	if _, err := p.Publish("web", br, testCIP, []PortRequest{tcp("", hp, hp)}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish("quiet", br, netip.MustParseAddr("172.30.0.3"), nil); err != nil {
		t.Fatal(err)
	}
	p.alloc.release("web") // as the old daemon's exit does

	p2, err := NewPorts(PortsConfig{StateFile: state, Table: "unused"}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Reconcile(map[string]string{"quiet": "br1", "other": "br2"}); err != nil {
		t.Fatal(err)
	}
	if b := p2.Bindings("web"); b != nil {
		t.Errorf("bindings of a container that no longer runs: %+v", b)
	}
	rules := strings.Join(forwardRules(p2.containers), "\n")
	for _, want := range []string{"-i br1 -j ACCEPT", "-i br2 -j ACCEPT"} {
		if !strings.Contains(rules, want) {
			t.Errorf("forward rules lack %q:\n%s", want, rules)
		}
	}
	if !portFreeTCP(hp) {
		t.Errorf("port %d of a dropped container is held", hp)
	}
}

func portFreeTCP(p uint16) bool {
	l, err := net.Listen("tcp4", "0.0.0.0:"+itoa(p))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// BenchmarkPublishOnePort is what a start and an exit with one published
// port cost: reservation, nftables rewrite, hairpin, state write.
func BenchmarkPublishOnePort(b *testing.B) {
	bridge, table := testBridgeAndTable(b)
	p, err := NewPorts(PortsConfig{StateFile: filepath.Join(b.TempDir(), "ports.json"), Table: table, IPTables: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	br := PortBridge{Name: bridge, Subnet: netip.MustParsePrefix("172.30.0.0/24")}
	for b.Loop() {
		if _, err := p.Publish("c1", br, testCIP, []PortRequest{tcp("", 0, 0)}); err != nil {
			b.Fatal(err)
		}
		if err := p.Unpublish("c1"); err != nil {
			b.Fatal(err)
		}
	}
}
