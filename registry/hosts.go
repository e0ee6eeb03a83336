package registry

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"
)

// hostSet is a list of registries as dockerd's insecure-registries and
// allow-nondistributable-artifacts name them: CIDRs or host[:port] names.
type hostSet struct {
	nets  []*net.IPNet
	hosts map[string]bool
}

func newHostSet(what string, entries []string) (hostSet, error) {
	s := hostSet{hosts: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(e, "http://"), "https://"), "/")
		if _, n, err := net.ParseCIDR(e); err == nil {
			s.nets = append(s.nets, n)
			continue
		}
		if e == "" || strings.Contains(e, "/") {
			return hostSet{}, fmt.Errorf("%s %q is not a host[:port] or a CIDR", what, e)
		}
		s.hosts[e] = true
	}
	return s, nil
}

// contains reports whether the registry at host (host[:port]) is in s:
// named so, or resolving to an address of one of its networks (Docker's
// rule).
func (s hostSet) contains(ctx context.Context, host string) bool {
	if s.hosts[host] {
		return true
	}
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	if s.hosts[hostname] {
		return true
	}
	if len(s.nets) == 0 {
		return false
	}
	var ips []net.IP
	if ip := net.ParseIP(strings.Trim(hostname, "[]")); ip != nil {
		ips = []net.IP{ip}
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		addrs, _ := net.DefaultResolver.LookupIPAddr(ctx, hostname)
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	for _, ip := range ips {
		for _, n := range s.nets {
			if n.Contains(ip) {
				return true
			}
		}
	}
	return false
}
