package network

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPickSubnet(t *testing.T) {
	var all172 []string
	for _, c := range candidateSubnets()[:15] {
		all172 = append(all172, c.String())
	}
	tests := []struct {
		name  string
		inUse []string
		want  string // "" = none free
	}{
		{"empty host", nil, "172.17.0.0/16"},
		{"default route ignored", []string{"0.0.0.0/0", "192.0.2.0/24"}, "172.17.0.0/16"},
		{"address in 172.17", []string{"172.17.0.1/16"}, "172.18.0.0/16"},
		{"host route inside 172.17", []string{"172.17.5.0/24"}, "172.18.0.0/16"},
		{"single host (name server)", []string{"172.17.9.9/32", "172.18.0.53/32"}, "172.19.0.0/16"},
		{"covering route", []string{"172.16.0.0/12"}, "10.0.0.0/16"},
		{"all of 172 and 10.0", append(slices.Clone(all172), "10.0.0.0/16"), "10.1.0.0/16"},
		{"nothing free", []string{"172.16.0.0/12", "10.0.0.0/8"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []netip.Prefix
			for _, s := range tt.inUse {
				ps = append(ps, netip.MustParsePrefix(s))
			}
			got, err := pickSubnet(ps)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("pickSubnet = %s, want an error", got)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("pickSubnet = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestParseBIP(t *testing.T) {
	tests := []struct {
		bip, subnet, gw string // subnet "" = invalid
	}{
		{"172.18.0.1/16", "172.18.0.0/16", "172.18.0.1"},
		{"10.0.5.200/24", "10.0.5.0/24", "10.0.5.200"},
		{"10.0.5.1/30", "10.0.5.0/30", "10.0.5.1"},
		{"10.0.5.0/24", "", ""},   // network address
		{"10.0.5.255/24", "", ""}, // broadcast
		{"10.0.5.1/31", "", ""},
		{"10.0.5.1", "", ""},
		{"fd00::1/64", "", ""},
		{"bogus", "", ""},
	}
	for _, tt := range tests {
		subnet, gw, err := parseBIP(tt.bip)
		if tt.subnet == "" {
			if err == nil {
				t.Errorf("parseBIP(%q) = %s %s, want an error", tt.bip, subnet, gw)
			}
			continue
		}
		if err != nil || subnet.String() != tt.subnet || gw.String() != tt.gw {
			t.Errorf("parseBIP(%q) = %s %s %v, want %s %s", tt.bip, subnet, gw, err, tt.subnet, tt.gw)
		}
	}
}

func TestNameservers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(p, []byte("# x\nnameserver 10.0.0.2\nnameserver fd00::1\nsearch example.com\nnameserver  172.17.0.53 \n"), 0o644)
	got := nameservers(p)
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32"), netip.MustParsePrefix("172.17.0.53/32")}
	if !slices.Equal(got, want) {
		t.Fatalf("nameservers = %v, want %v", got, want)
	}
	if nameservers(filepath.Join(t.TempDir(), "missing")) != nil {
		t.Fatal("missing resolv.conf has name servers")
	}
}
