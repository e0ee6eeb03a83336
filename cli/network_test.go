package cli

import (
	"fmt"
	"testing"
)

func TestNetworkCreateIPAM(t *testing.T) {
	for _, tt := range []struct {
		opts NetworkCreateOptions
		want string // IPAM config as text, or the error
	}{
		{NetworkCreateOptions{}, "[]"},
		{NetworkCreateOptions{Subnets: []string{"10.1.0.0/16", "10.2.0.0/16"}, Gateways: []string{"10.2.0.254"}, IPRanges: []string{"10.1.5.0/24"}},
			"[{10.1.0.0/16 10.1.5.0/24 invalid IP map[]} {10.2.0.0/16 invalid Prefix 10.2.0.254 map[]}]"},
		{NetworkCreateOptions{Subnets: []string{"10.1.0.0/16"}, Gateways: []string{"10.3.0.1"}}, "no matching subnet for gateway 10.3.0.1"},
		{NetworkCreateOptions{Gateways: []string{"10.3.0.1"}}, "every ip-range or gateway must have a corresponding subnet"},
		{NetworkCreateOptions{Subnets: []string{"nonsense"}}, "invalid CIDR address: nonsense"},
	} {
		cfg, err := tt.opts.ipamConfig()
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = fmt.Sprint(cfg)
		}
		if got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.opts, got, tt.want)
		}
	}
}
