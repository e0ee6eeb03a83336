package network

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolvConf(t *testing.T) {
	host := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(host, []byte("# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		embedded bool
		cfg      DNSConfig
		want     []string // lines, in order
		not      []string
	}{
		{"host servers without loopback", false, DNSConfig{}, []string{"nameserver 10.0.0.2", "search corp.example", "options edns0"}, []string{"127.0.0.53", "ndots"}},
		{"--dns and overrides", false, DNSConfig{Servers: []netip.Addr{netip.MustParseAddr("192.0.2.1")}, Search: []string{"a.test"}, Options: []string{"rotate"}},
			[]string{"nameserver 192.0.2.1", "search a.test", "options rotate"}, []string{"10.0.0.2", "corp.example", "edns0"}},
		{"embedded resolver", true, DNSConfig{}, []string{"nameserver 127.0.0.11", "search corp.example", "options edns0 ndots:0"}, []string{"nameserver 10.0.0.2"}},
		{"embedded with ndots and no search", true, DNSConfig{Search: []string{"."}, Options: []string{"ndots:2"}}, []string{"nameserver 127.0.0.11", "options ndots:2"}, []string{"search", "ndots:0"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := ResolvConf(host, tt.embedded, tt.cfg)
			at := 0
			for _, w := range tt.want {
				i := strings.Index(got[at:], w+"\n")
				if i < 0 {
					t.Fatalf("missing %q (in order) in:\n%s", w, got)
				}
				at += i
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("unexpected %q in:\n%s", n, got)
				}
			}
		})
	}
	if got := HostResolvers(filepath.Join(t.TempDir(), "missing")); len(got) != 2 || got[0].String() != "8.8.8.8" {
		t.Errorf("fallback resolvers: %v", got)
	}
}

func TestHosts(t *testing.T) {
	got := Hosts([]HostEntry{{Addr: "10.1.2.3", Names: []string{"db"}}}, "172.18.0.2", "web", "example.test")
	if !strings.HasPrefix(got, "127.0.0.1\tlocalhost\n") || !strings.HasSuffix(got, "10.1.2.3\tdb\n172.18.0.2\tweb.example.test web\n") {
		t.Errorf("hosts:\n%s", got)
	}
	if got := Hosts(nil, "", "web", ""); strings.Contains(got, "web") {
		t.Errorf("hosts without an address names the host:\n%s", got)
	}
}
