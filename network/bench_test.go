package network

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	networktypes "github.com/moby/moby/api/types/network"
)

// BenchmarkAttachDetach is the network part of a container's start and
// stop on the default bridge and on a user-defined network (which adds the
// embedded resolver's sockets).
func BenchmarkAttachDetach(b *testing.B) {
	for _, user := range []bool{false, true} {
		b.Run(fmt.Sprintf("user=%v", user), func(b *testing.B) {
			cfg := testConfig(b, 24)
			m, err := New(cfg, testLogger(b))
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			ref := m.Network().ID
			if user {
				subnet := netip.MustParsePrefix(freeTestBIP(b, 24)).Masked()
				id, err := m.CreateNetwork(networktypes.CreateRequest{Name: "bench", IPAM: &networktypes.IPAM{Config: []networktypes.IPAMConfig{{Subnet: subnet}}}})
				if err != nil {
					b.Fatal(err)
				}
				defer m.RemoveNetwork(id)
				ref = id
			}
			b.ResetTimer()
			for i := range b.N {
				id := fmt.Sprintf("bench%060d", i)
				if _, err := m.Connect(context.Background(), id, ref, EndpointOptions{Name: "c", Fresh: true}); err != nil {
					b.Fatal(err)
				}
				if err := m.Detach(id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResolve is one A question to the embedded resolver about a
// container, from inside a container's namespace.
func BenchmarkResolve(b *testing.B) {
	cfg := testConfig(b, 24)
	m, err := New(cfg, testLogger(b))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	subnet := netip.MustParsePrefix(freeTestBIP(b, 24)).Masked()
	id, err := m.CreateNetwork(networktypes.CreateRequest{Name: "bench", IPAM: &networktypes.IPAM{Config: []networktypes.IPAMConfig{{Subnet: subnet}}}})
	if err != nil {
		b.Fatal(err)
	}
	defer m.RemoveNetwork(id)
	const c1, c2 = "benchaaaaaaaaaaaa1", "benchaaaaaaaaaaaa2"
	for _, c := range []string{c1, c2} {
		if _, err := m.Connect(context.Background(), c, id, EndpointOptions{Name: c, Fresh: true}); err != nil {
			b.Fatal(err)
		}
		defer m.Detach(c)
	}
	err = inNetns(m.netnsPath(c1), func() error {
		client := &dns.Client{Timeout: 2 * time.Second}
		q := new(dns.Msg)
		q.SetQuestion(c2+".", dns.TypeA)
		b.ResetTimer()
		for range b.N {
			r, _, err := client.Exchange(q, "127.0.0.11:53")
			if err != nil {
				return err
			}
			if len(r.Answer) != 1 {
				return fmt.Errorf("answer %v", r.Answer)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
