package network

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/vishvananda/netns"
)

// ResolverAddr is where the embedded DNS resolver answers inside the
// namespace of a container on a user-defined network, as Docker's.
const ResolverAddr = "127.0.0.11"

// dnsTTL is the TTL of the answers about containers, as Docker gives.
const dnsTTL = 600

// resolver is one container's embedded DNS server: UDP and TCP sockets
// bound to 127.0.0.11:53 inside its network namespace, served by berthd.
type resolver struct {
	pc  net.PacketConn
	ln  net.Listener
	udp *dns.Server
	tcp *dns.Server
}

// close releases the sockets at once (a new resolver may bind them next)
// and lets the servers wind down in the background: a query in flight may
// be waiting for the Manager's lock, which the caller holds.
func (r *resolver) close() {
	r.pc.Close()
	r.ln.Close()
	go func() {
		_ = r.udp.Shutdown()
		_ = r.tcp.Shutdown()
	}()
}

// ensureResolverLocked starts the container's resolver if it has none.
// A failure costs name resolution, not the network: it is logged.
func (m *Manager) ensureResolverLocked(id string) {
	if _, ok := m.resolvers[id]; ok {
		return
	}
	pc, ln, err := listenInNetns(m.netnsPath(id), net.JoinHostPort(ResolverAddr, "53"))
	if err != nil {
		m.log.Warn("starting the embedded DNS resolver", "container", id, "err", err)
		return
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) { m.serveDNS(id, w, req) })
	r := &resolver{pc: pc, ln: ln, udp: &dns.Server{PacketConn: pc, Handler: h}, tcp: &dns.Server{Listener: ln, Handler: h}}
	go func() { _ = r.udp.ActivateAndServe() }()
	go func() { _ = r.tcp.ActivateAndServe() }()
	m.resolvers[id] = r
}

func (m *Manager) stopResolverLocked(id string) {
	if r, ok := m.resolvers[id]; ok {
		r.close()
		delete(m.resolvers, id)
	}
}

// listenInNetns opens a UDP and a TCP socket on addr inside the network
// namespace at path. The sockets stay in that namespace; the thread that
// made them goes back to berthd's own (or, if it cannot, ends with its
// goroutine instead of returning to the pool).
func listenInNetns(path, addr string) (net.PacketConn, net.Listener, error) {
	type result struct {
		pc  net.PacketConn
		ln  net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer orig.Close()
		target, err := netns.GetFromPath(path)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			ch <- result{err: fmt.Errorf("enter network namespace %s: %w", path, err)}
			return
		}
		var r result
		if r.pc, r.err = net.ListenPacket("udp4", addr); r.err == nil {
			if r.ln, r.err = net.Listen("tcp4", addr); r.err != nil {
				r.pc.Close()
			}
		}
		if err := netns.Set(orig); err != nil {
			if r.err == nil {
				r.pc.Close()
				r.ln.Close()
			}
			ch <- result{err: fmt.Errorf("leave network namespace %s: %w", path, err)}
			return
		}
		runtime.UnlockOSThread()
		ch <- r
	}()
	r := <-ch
	return r.pc, r.ln, r.err
}

// serveDNS answers a query from the container id: names of containers on
// the user-defined networks it is on from the Manager's endpoints, the
// rest from the upstream servers.
func (m *Manager) serveDNS(id string, w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery {
		reply := new(dns.Msg)
		reply.SetRcode(req, dns.RcodeNotImplemented)
		_ = w.WriteMsg(reply)
		return
	}
	q := req.Question[0]
	if reply := m.answerLocal(id, req, q); reply != nil {
		_ = w.WriteMsg(reply)
		return
	}
	servers, external := m.upstreams(id)
	if !external {
		reply := new(dns.Msg)
		reply.SetRcode(req, dns.RcodeServerFailure)
		_ = w.WriteMsg(reply)
		return
	}
	proto := "udp"
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		proto = "tcp"
	}
	_ = w.WriteMsg(forward(req, servers, proto))
}

// answerLocal answers A, AAAA and PTR questions about containers; nil
// means the name is not a container's.
func (m *Manager) answerLocal(id string, req *dns.Msg, q dns.Question) *dns.Msg {
	name := strings.ToLower(strings.TrimSuffix(q.Name, "."))
	reply := new(dns.Msg)
	reply.SetReply(req)
	reply.Authoritative = true
	reply.RecursionAvailable = true
	switch q.Qtype {
	case dns.TypeA, dns.TypeAAAA:
		addrs := m.lookupName(id, name)
		if len(addrs) == 0 {
			return nil
		}
		if q.Qtype == dns.TypeA { // no IPv6: an AAAA question gets an empty answer, as Docker's
			for _, a := range addrs {
				reply.Answer = append(reply.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: dnsTTL}, A: a.AsSlice()})
			}
		}
		return reply
	case dns.TypePTR:
		ptr := m.lookupAddr(id, q.Name)
		if ptr == "" {
			return nil
		}
		reply.Answer = append(reply.Answer, &dns.PTR{
			Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: dnsTTL}, Ptr: dns.Fqdn(ptr)})
		return reply
	}
	return nil
}

// lookupName is the addresses of the containers called name (container
// name, network alias, short or full ID; optionally followed by
// ".<network>") on the user-defined networks the asker is on.
func (m *Manager) lookupName(asker, name string) []netip.Addr {
	m.mu.Lock()
	defer m.mu.Unlock()
	var addrs []netip.Addr
	for _, st := range m.nets {
		if _, ok := st.Endpoints[asker]; !ok || st == m.st {
			continue
		}
		n := name
		if base, ok := strings.CutSuffix(name, "."+strings.ToLower(st.Name)); ok {
			n = base
		}
		if target, ok := linkTarget(st.Endpoints[asker], n); ok {
			n = target // the asker's own link alias, as Docker's
		}
		for cid, ep := range st.Endpoints {
			if endpointNamed(cid, ep, n) {
				addrs = append(addrs, ep.Address.Addr())
			}
		}
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	return slices.Compact(addrs)
}

// linkTarget is the container a link alias of ep names.
func linkTarget(ep *endpointState, alias string) (string, bool) {
	for a, target := range ep.Links {
		if strings.EqualFold(a, alias) {
			return strings.ToLower(target), true
		}
	}
	return "", false
}

func endpointNamed(id string, ep *endpointState, name string) bool {
	if name == "" {
		return false
	}
	if strings.EqualFold(ep.Name, name) || name == id || len(id) >= 12 && name == id[:12] {
		return true
	}
	return slices.ContainsFunc(ep.Aliases, func(a string) bool { return strings.EqualFold(a, name) })
}

// lookupAddr answers a reverse lookup (a.b.c.d.in-addr.arpa.) of a
// container's address on a network the asker shares: "<name>.<network>".
func (m *Manager) lookupAddr(asker, arpa string) string {
	rev, ok := strings.CutSuffix(strings.ToLower(arpa), ".in-addr.arpa.")
	if !ok {
		return ""
	}
	parts := strings.Split(rev, ".")
	if len(parts) != 4 {
		return ""
	}
	slices.Reverse(parts)
	ip, err := netip.ParseAddr(strings.Join(parts, "."))
	if err != nil {
		return ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, st := range m.nets {
		if _, ok := st.Endpoints[asker]; !ok || st == m.st {
			continue
		}
		for _, ep := range st.Endpoints {
			if ep.Address.Addr() == ip && ep.Name != "" {
				return ep.Name + "." + st.Name
			}
		}
	}
	return ""
}

// upstreams is where the asker's other questions go: its own --dns
// servers, else the host's resolvers. external is false when every network
// of the asker is internal: nothing leaves them, as with Docker.
func (m *Manager) upstreams(id string) (servers []netip.Addr, external bool) {
	m.mu.Lock()
	for _, st := range m.nets {
		ep, ok := st.Endpoints[id]
		if !ok {
			continue
		}
		external = external || !st.Internal
		if len(servers) == 0 {
			servers = ep.DNSServers
		}
	}
	m.mu.Unlock()
	if len(servers) == 0 {
		servers = HostResolvers(m.cfg.ResolvConf)
	}
	return servers, external
}

// forward asks the servers in turn and returns the first answer, or
// SERVFAIL when none gives one.
func forward(req *dns.Msg, servers []netip.Addr, proto string) *dns.Msg {
	c := &dns.Client{Net: proto, Timeout: 4 * time.Second}
	for _, s := range servers {
		if reply, _, err := c.Exchange(req, net.JoinHostPort(s.String(), "53")); err == nil {
			reply.Id = req.Id
			return reply
		}
	}
	reply := new(dns.Msg)
	reply.SetRcode(req, dns.RcodeServerFailure)
	return reply
}
