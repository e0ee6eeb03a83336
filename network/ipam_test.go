package network

import (
	"net/netip"
	"testing"
)

func TestAllocate(t *testing.T) {
	subnet := netip.MustParsePrefix("10.1.2.0/29") // hosts .1 to .6
	gw := netip.MustParseAddr("10.1.2.1")
	a := netip.MustParseAddr
	used := func(addrs ...string) func(netip.Addr) bool {
		m := map[netip.Addr]bool{}
		for _, s := range addrs {
			m[a(s)] = true
		}
		return func(x netip.Addr) bool { return m[x] }
	}
	tests := []struct {
		name  string
		gw    netip.Addr
		last  netip.Addr
		inUse func(netip.Addr) bool
		want  string // "" = exhausted
	}{
		{"first skips network and gateway", gw, netip.Addr{}, used(), "10.1.2.2"},
		{"sequential after last", gw, a("10.1.2.3"), used("10.1.2.2", "10.1.2.3"), "10.1.2.4"},
		{"released address not reused before wrap", gw, a("10.1.2.4"), used("10.1.2.2", "10.1.2.4"), "10.1.2.5"},
		{"wraps after the last host, skipping broadcast", gw, a("10.1.2.6"), used("10.1.2.2", "10.1.2.6"), "10.1.2.3"},
		{"skips used addresses", gw, a("10.1.2.2"), used("10.1.2.2", "10.1.2.3", "10.1.2.4"), "10.1.2.5"},
		{"gateway in the middle", a("10.1.2.3"), a("10.1.2.2"), used("10.1.2.2"), "10.1.2.4"},
		{"gateway last host, wrap to .1", a("10.1.2.6"), a("10.1.2.5"), used("10.1.2.2"), "10.1.2.1"},
		{"last outside the subnet", gw, a("172.17.0.9"), used(), "10.1.2.2"},
		{"exhausted", gw, a("10.1.2.4"), used("10.1.2.2", "10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := allocate(subnet, tt.gw, tt.last, tt.inUse, "bridge")
			if tt.want == "" {
				if err == nil {
					t.Fatalf("allocate = %s, want an error", got)
				}
				return
			}
			if err != nil || got != a(tt.want) {
				t.Fatalf("allocate = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestAllocateNeverTwice(t *testing.T) {
	subnet := netip.MustParsePrefix("10.9.0.0/22")
	gw := netip.MustParseAddr("10.9.0.1")
	used := map[netip.Addr]bool{}
	var last netip.Addr
	for i := 0; i < 1021; i++ { // 1022 hosts minus the gateway
		ip, err := allocate(subnet, gw, last, func(a netip.Addr) bool { return used[a] }, "bridge")
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		if used[ip] || ip == gw || !subnet.Contains(ip) || ip == subnet.Addr() || ip == lastAddr(subnet) {
			t.Fatalf("allocation %d: bad address %s", i, ip)
		}
		used[ip], last = true, ip
	}
	if ip, err := allocate(subnet, gw, last, func(a netip.Addr) bool { return used[a] }, "bridge"); err == nil {
		t.Fatalf("full pool handed out %s", ip)
	}
}

func TestLastAddr(t *testing.T) {
	for p, want := range map[string]string{
		"172.17.0.0/16": "172.17.255.255",
		"10.1.2.0/29":   "10.1.2.7",
		"10.1.2.5/24":   "10.1.2.255",
	} {
		if got := lastAddr(netip.MustParsePrefix(p)); got.String() != want {
			t.Errorf("lastAddr(%s) = %s, want %s", p, got, want)
		}
	}
}

func TestMacFromIP(t *testing.T) {
	if got := macFromIP(netip.MustParseAddr("172.17.0.2")).String(); got != "02:42:ac:11:00:02" {
		t.Fatalf("macFromIP = %s", got)
	}
}
