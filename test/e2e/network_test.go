package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// netInspect is the part of `network inspect` the tests read.
type netInspect struct {
	ID     string `json:"Id"`
	Name   string
	Driver string
	IPAM   struct {
		Config []struct{ Subnet, Gateway string }
	}
	Options    map[string]string
	Containers map[string]struct{ Name, IPv4Address string }
}

func inspectNetwork(t *testing.T, d *daemon, name string) netInspect {
	t.Helper()
	var out []netInspect
	if err := json.Unmarshal([]byte(must(t, d.docker("network", "inspect", name))), &out); err != nil || len(out) != 1 {
		t.Fatalf("network inspect %s: %v %v", name, out, err)
	}
	return out[0]
}

// containerIP is the container's address on the network.
func containerIP(t *testing.T, d *daemon, ctr, network string) string {
	t.Helper()
	return strings.TrimSpace(must(t, d.docker("inspect", "-f", "{{(index .NetworkSettings.Networks \""+network+"\").IPAddress}}", ctr)))
}

// TestUserNetworkDNSAndIsolation runs containers on two user-defined
// networks: on one network they find each other by name, alias and short
// ID through the embedded resolver; across networks they cannot reach
// each other; an internal network has no way out.
func TestUserNetworkDNSAndIsolation(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	removeContainersAtEnd(t, d)
	must(t, d.docker("network", "create", "--label", "team=a", "front"))
	must(t, d.docker("network", "create", "back"))
	front := inspectNetwork(t, d, "front")
	if front.Driver != "bridge" || len(front.IPAM.Config) != 1 || front.IPAM.Config[0].Subnet == "" {
		t.Fatalf("front: %+v", front)
	}
	must(t, d.docker("run", "-d", "--name", "web", "--network", "front", "--network-alias", "www", "--network-alias", "pool", img, "sleep", "300"))
	must(t, d.docker("run", "-d", "--name", "web2", "--network", "front", "--network-alias", "pool", img, "sleep", "300"))
	must(t, d.docker("run", "-d", "--name", "client", "--network", "front", img, "sleep", "300"))
	must(t, d.docker("run", "-d", "--name", "other", "--network", "back", img, "sleep", "300"))
	webID := strings.TrimSpace(must(t, d.docker("inspect", "-f", "{{.Id}}", "web")))
	webIP := containerIP(t, d, "web", "front")
	web2IP := containerIP(t, d, "web2", "front")

	if rc := must(t, d.docker("exec", "client", "cat", "/etc/resolv.conf")); !strings.Contains(rc, "nameserver 127.0.0.11\n") || !strings.Contains(rc, "ndots:0") {
		t.Errorf("resolv.conf on a user network:\n%s", rc)
	}
	for _, name := range []string{"web", "www", webID[:12], "web.front"} {
		r := d.docker("exec", "client", "busybox", "nslookup", name)
		if r.Code != 0 || !strings.Contains(r.Stdout, webIP) {
			t.Errorf("nslookup %s: %s", name, r)
		}
	}
	if r := d.docker("exec", "client", "busybox", "nslookup", "pool"); !strings.Contains(r.Stdout, webIP) || !strings.Contains(r.Stdout, web2IP) {
		t.Errorf("an alias of two containers resolves to both: %s", r)
	}
	must(t, d.docker("exec", "client", "busybox", "ping", "-c", "1", "-W", "2", "web"))

	// Across networks: no name, no traffic.
	if r := d.docker("exec", "other", "busybox", "nslookup", "web"); r.Code == 0 && strings.Contains(r.Stdout, webIP) {
		t.Errorf("a container on another network resolved web: %s", r)
	}
	if r := d.docker("exec", "other", "busybox", "ping", "-c", "1", "-W", "1", webIP); r.Code == 0 {
		t.Errorf("a container on another network reached web: %s", r)
	}

	// Internal: no route out, nothing forwarded.
	must(t, d.docker("network", "create", "--internal", "vault"))
	must(t, d.docker("run", "-d", "--name", "locked", "--network", "vault", img, "sleep", "300"))
	if r := d.docker("exec", "locked", "busybox", "ping", "-c", "1", "-W", "1", webIP); r.Code == 0 {
		t.Errorf("a container on an internal network reached another network: %s", r)
	}
	if out := must(t, d.docker("exec", "locked", "busybox", "ip", "route")); strings.Contains(out, "default") {
		t.Errorf("internal network container has a default route: %s", out)
	}

	// Inspect: aliases, DNS names, the network's containers.
	var eps map[string]struct {
		Aliases, DNSNames                         []string
		NetworkID, EndpointID, Gateway, IPAddress string
		MacAddress                                string
		IPPrefixLen                               int
	}
	out := must(t, d.docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", "web"))
	if err := json.Unmarshal([]byte(out), &eps); err != nil {
		t.Fatal(err)
	}
	ep := eps["front"]
	if ep.NetworkID != front.ID || ep.EndpointID == "" || ep.IPPrefixLen == 0 || ep.Gateway != front.IPAM.Config[0].Gateway ||
		strings.Join(ep.Aliases, ",") != "www,pool" || strings.Join(ep.DNSNames, ",") != "web,www,pool,"+webID[:12] {
		t.Errorf("web's endpoint on front: %+v (network %+v)", ep, front)
	}
	front = inspectNetwork(t, d, "front")
	if c, ok := front.Containers[webID]; !ok || c.Name != "web" || !strings.HasPrefix(c.IPv4Address, webIP+"/") {
		t.Errorf("front's containers: %+v", front.Containers)
	}
	if ps := must(t, d.docker("ps", "--filter", "name=web2", "--format", "{{.Networks}}")); strings.TrimSpace(ps) != "front" {
		t.Errorf("ps networks: %q", ps)
	}
	if ps := must(t, d.docker("ps", "--filter", "network=back", "--format", "{{.Names}}")); strings.TrimSpace(ps) != "other" {
		t.Errorf("ps --filter network=back: %q", ps)
	}

	// Removing a network in use: 409 with Docker's words.
	if r := d.docker("network", "rm", "front"); r.Code == 0 || !strings.Contains(r.Stderr, "error while removing network: network front has active endpoints") {
		t.Errorf("rm of a network in use: %s", r)
	}
	if code, body := d.api(t, "DELETE", "/networks/front"); code != 409 {
		t.Errorf("DELETE /networks/front: %d %s", code, body)
	}
	ids := []string{front.ID, networkID(t, d, "back"), networkID(t, d, "vault")}
	must(t, d.docker("rm", "-f", "web", "web2", "client", "other", "locked"))
	must(t, d.docker("network", "rm", "front", "back", "vault"))
	checkNetworkClean(t, d, ids...)
}

// TestNetworkConnectDisconnectLive connects a running container to a
// second network (a new interface appears in it) and disconnects it.
func TestNetworkConnectDisconnectLive(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	removeContainersAtEnd(t, d)
	must(t, d.docker("network", "create", "--subnet", "10.231.7.0/24", "n1"))
	must(t, d.docker("network", "create", "n2"))
	must(t, d.docker("run", "-d", "--name", "ca", "--network", "n1", "--ip", "10.231.7.50", img, "sleep", "300"))
	must(t, d.docker("run", "-d", "--name", "cb", "--network", "n2", img, "sleep", "300"))
	if ip := containerIP(t, d, "ca", "n1"); ip != "10.231.7.50" {
		t.Errorf("--ip: got %s", ip)
	}
	if r := d.docker("exec", "ca", "busybox", "ping", "-c", "1", "-W", "1", "cb"); r.Code == 0 {
		t.Errorf("a reached b before connect: %s", r)
	}
	must(t, d.docker("network", "connect", "--alias", "bee", "n2", "ca"))
	if out := must(t, d.docker("exec", "ca", "busybox", "ip", "-o", "addr", "show", "eth1")); !strings.Contains(out, "inet ") {
		t.Errorf("no eth1 after connect: %s", out)
	}
	must(t, d.docker("exec", "ca", "busybox", "ping", "-c", "1", "-W", "2", "cb"))
	must(t, d.docker("exec", "cb", "busybox", "ping", "-c", "1", "-W", "2", "bee"))
	if r := d.docker("network", "connect", "n2", "ca"); r.Code == 0 || !strings.Contains(r.Stderr, "already exists in network n2") {
		t.Errorf("second connect: %s", r)
	}
	must(t, d.docker("network", "disconnect", "n2", "ca"))
	if r := d.docker("exec", "ca", "busybox", "ip", "addr", "show", "eth1"); r.Code == 0 {
		t.Errorf("eth1 still there after disconnect: %s", r)
	}
	if r := d.docker("exec", "ca", "busybox", "ping", "-c", "1", "-W", "1", "cb"); r.Code == 0 {
		t.Errorf("a still reaches b after disconnect: %s", r)
	}
	// A stopped container is connected at its next start.
	must(t, d.docker("stop", "-t", "0", "cb"))
	must(t, d.docker("network", "connect", "n1", "cb"))
	must(t, d.docker("start", "cb"))
	must(t, d.docker("exec", "cb", "busybox", "ping", "-c", "1", "-W", "2", "ca"))
	// The resolver follows a rename.
	must(t, d.docker("rename", "cb", "cbnew"))
	must(t, d.docker("exec", "ca", "busybox", "ping", "-c", "1", "-W", "2", "cbnew"))
	// Several --network flags: one interface each.
	must(t, d.docker("run", "-d", "--name", "multi", "--network", "n1", "--network", "n2", img, "sleep", "300"))
	if out := must(t, d.docker("exec", "multi", "busybox", "ip", "-o", "-4", "addr")); !strings.Contains(out, "eth0") || !strings.Contains(out, "eth1") {
		t.Errorf("two --network flags: %s", out)
	}
	if nets := strings.TrimSpace(must(t, d.docker("ps", "--filter", "name=multi", "--format", "{{.Networks}}"))); nets != "n1,n2" && nets != "n2,n1" {
		t.Errorf("ps networks of multi: %q", nets)
	}
	// Disconnected from its only network, a container starts with lo only.
	must(t, d.docker("create", "--name", "lonely", "--network", "n1", img, "sleep", "300"))
	must(t, d.docker("network", "disconnect", "n1", "lonely"))
	must(t, d.docker("start", "lonely"))
	if out := must(t, d.docker("exec", "lonely", "ls", "/sys/class/net")); strings.TrimSpace(out) != "lo" {
		t.Errorf("interfaces of a container without networks: %q", out)
	}
	ids := []string{networkID(t, d, "n1"), networkID(t, d, "n2")}
	must(t, d.docker("rm", "-f", "ca", "cbnew", "multi", "lonely"))
	must(t, d.docker("network", "rm", "n1", "n2"))
	checkNetworkClean(t, d, ids...)
}

// TestNetworkBadInput checks Docker's errors for bad network requests.
func TestNetworkBadInput(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	removeContainersAtEnd(t, d)
	must(t, d.docker("network", "create", "--subnet", "10.232.0.0/16", "taken"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"network", "create", "taken"}, "network with name taken already exists"},
		{[]string{"network", "create", "--subnet", "10.232.5.0/24", "overlap"}, "Pool overlaps with other one on this address space"},
		{[]string{"network", "create", "--subnet", "10.233.0.0/24", "--gateway", "10.234.0.1", "gw"}, "no matching subnet for gateway 10.234.0.1"}, // the CLI's check
		{[]string{"network", "create", "-d", "nosuchdriver", "drv"}, "plugin not found"},
		{[]string{"network", "create", "bridge"}, "bridge is a pre-defined network and cannot be created"},
		{[]string{"network", "inspect", "nope"}, "network nope not found"},
		{[]string{"network", "rm", "nope"}, "network nope not found"},
		{[]string{"run", "--rm", "--network", "nope", img, "true"}, "failed to set up container networking: network nope not found"},
		{[]string{"run", "--rm", "--network", "taken", "--ip", "10.9.9.9", img, "true"}, "no configured subnet or ip-range contain the IP address 10.9.9.9"},
	} {
		r := d.docker(tc.args...)
		if r.Code == 0 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("docker %v: %s, want %q", tc.args, r, tc.want)
		}
	}
	must(t, d.docker("network", "create", "auto"))
	if r := d.docker("run", "--rm", "--network", "auto", "--ip", "10.1.1.1", img, "true"); r.Code == 0 ||
		!strings.Contains(r.Stderr, "user specified IP address is supported only when connecting to networks with user configured subnets") {
		t.Errorf("--ip on a network without a configured subnet: %s", r)
	}
	must(t, d.docker("network", "rm", "auto"))
	for _, tc := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/networks/nope", "", 404, "network nope not found"},
		{"POST", "/networks/create", `{"Name":"gw","IPAM":{"Config":[{"Subnet":"10.233.0.0/24","Gateway":"10.234.0.1"}]}}`, 400,
			"invalid gateway 10.234.0.1: parent subnet 10.233.0.0/24 doesn't contain this address"},
		{"POST", "/networks/create", `{"Name":"ov","IPAM":{"Config":[{"Subnet":"10.232.9.0/24"}]}}`, 403, "Pool overlaps"},
		{"POST", "/networks/create", `{"Name":"taken"}`, 409, "network with name taken already exists"},
		{"POST", "/networks/taken/connect", `{"Container":"nosuch"}`, 404, "No such container: nosuch"},
		{"DELETE", "/networks/bridge", "", 403, "bridge is a pre-defined network and cannot be removed"},
	} {
		if code, body := apiRequest(t, d, tc.method, tc.path, tc.body); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s: %d %s, want %d %q", tc.method, tc.path, code, body, tc.code, tc.want)
		}
	}
	if out := must(t, d.docker("network", "ls", "--format", "{{.Name}} {{.Driver}}")); out != "bridge bridge\nhost host\nnone null\ntaken bridge\n" {
		t.Errorf("network ls:\n%s", out)
	}
	if out := must(t, d.docker("network", "ls", "-q", "--filter", "type=custom")); len(lines(out)) != 1 {
		t.Errorf("ls type=custom: %q", out)
	}
	id := networkID(t, d, "taken")
	if out := must(t, d.docker("network", "prune", "-f")); !strings.Contains(out, "taken") {
		t.Errorf("prune: %q", out)
	}
	checkNetworkClean(t, d, id)
}

// TestEmbeddedDNSForwards has the embedded resolver forward a name it does
// not know to the container's --dns server: a tiny DNS server the test
// runs on an address of a dummy interface it creates (nothing leaves the
// machine).
func TestEmbeddedDNSForwards(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	removeContainersAtEnd(t, d)
	upstream := startTestDNS(t)
	must(t, d.docker("network", "create", "fwd"))
	r := d.docker("run", "--rm", "--network", "fwd", "--dns", upstream, "--dns-search", "example.test", img, "sh", "-c", "cat /etc/resolv.conf; busybox nslookup outside.test")
	if r.Code != 0 || !strings.Contains(r.Stdout, "192.0.2.55") || !strings.Contains(r.Stdout, "search example.test") {
		t.Errorf("forwarded lookup: %s", r)
	}
	// The default bridge uses the servers directly, and --add-host.
	r = d.docker("run", "--rm", "--dns", upstream, "--add-host", "db.local:10.1.2.3", "--add-host", "gw:host-gateway", "--hostname", "h1", "--domainname", "example.test", img, "sh", "-c", "cat /etc/resolv.conf /etc/hosts")
	if r.Code != 0 || !strings.Contains(r.Stdout, "nameserver "+upstream+"\n") || !strings.Contains(r.Stdout, "10.1.2.3\tdb.local\n") ||
		!strings.Contains(r.Stdout, "\th1.example.test h1\n") || !strings.Contains(r.Stdout, "\tgw\n") {
		t.Errorf("default bridge resolv.conf and hosts: %s", r)
	}
	id := networkID(t, d, "fwd")
	must(t, d.docker("network", "rm", "fwd"))
	checkNetworkClean(t, d, id)
}

// startTestDNS serves outside.test. A 192.0.2.55 on a dummy interface's
// address and returns that address.
func startTestDNS(t *testing.T) string {
	t.Helper()
	link := "bdns" + strings.ToLower(t.Name()[len(t.Name())-4:])
	addr := "198.18.231.53"
	if out, err := exec.Command("ip", "link", "add", link, "type", "dummy").CombinedOutput(); err != nil {
		t.Skipf("no dummy interface: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", link).Run() })
	for _, args := range [][]string{{"addr", "add", addr + "/32", "dev", link}, {"link", "set", link, "up"}} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	pc, err := net.ListenPacket("udp4", addr+":53")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		if q := req.Question[0]; q.Name == "outside.test." && q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP("192.0.2.55")})
		} else if q.Qtype != dns.TypeAAAA || q.Name != "outside.test." {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return addr
}

// checkNetworkClean fails if a user network's bridge (from ids), a veth
// on any of them, a netns file or a rule of a removed network is left once
// every container and user network is gone.
func checkNetworkClean(t *testing.T, d *daemon, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if out, err := exec.Command("ip", "link", "show", "br-"+id[:12]).CombinedOutput(); err == nil {
			t.Errorf("bridge left behind: %s", out)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(d.ExecRoot, "netns"))
	if len(entries) != 0 {
		t.Errorf("netns files left: %v", entries)
	}
	if nets := must(t, d.docker("network", "ls", "-q", "--filter", "type=custom")); strings.TrimSpace(nets) != "" {
		t.Errorf("networks left: %s", nets)
	}
	if out := settledBridgePorts(t, d, 0); out != "" {
		t.Errorf("veths left on the default bridge: %s", out)
	}
	rules, _ := exec.Command("nft", "list", "table", "ip", "berth_"+bridgeOf(d)).CombinedOutput()
	if strings.Contains(string(rules), "br-") {
		t.Errorf("rules of removed networks left:\n%s", rules)
	}
}

// networkID is the ID of the network called name.
func networkID(t *testing.T, d *daemon, name string) string {
	t.Helper()
	return inspectNetwork(t, d, name).ID
}

// removeContainersAtEnd removes every container and user-defined network
// of d when the test ends, before d stops, so that a failed test leaves no
// running container and no bridge.
func removeContainersAtEnd(t *testing.T, d *daemon) {
	t.Cleanup(func() {
		if ids := lines(d.docker("ps", "-aq").Stdout); len(ids) > 0 {
			d.docker(append([]string{"rm", "-f"}, ids...)...)
		}
		d.docker("network", "prune", "-f")
	})
}

// TestNetworkLiveRestoreDNS kills berthd while containers on a user
// network run: after its restart their embedded resolver answers again.
func TestNetworkLiveRestoreDNS(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	removeContainersAtEnd(t, d)
	must(t, d.docker("network", "create", "lr"))
	must(t, d.docker("run", "-d", "--name", "srv", "--network", "lr", img, "sleep", "300"))
	must(t, d.docker("run", "-d", "--name", "cli", "--network", "lr", img, "sleep", "300"))
	ip := containerIP(t, d, "srv", "lr")
	d.kill()
	d.start()
	if r := d.docker("exec", "cli", "busybox", "nslookup", "srv"); r.Code != 0 || !strings.Contains(r.Stdout, ip) {
		t.Errorf("nslookup after a daemon restart: %s", r)
	}
	must(t, d.docker("exec", "cli", "busybox", "ping", "-c", "1", "-W", "2", "srv"))
	id := networkID(t, d, "lr")
	must(t, d.docker("rm", "-f", "srv", "cli"))
	must(t, d.docker("network", "rm", "lr"))
	checkNetworkClean(t, d, id)
}

// TestNetworkContainerMode runs a container in another one's network
// namespace: same addresses, same resolver.
func TestNetworkContainerMode(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	removeContainersAtEnd(t, d)
	must(t, d.docker("network", "create", "shared"))
	must(t, d.docker("run", "-d", "--name", "owner", "--network", "shared", "--mac-address", "02:42:de:ad:be:ef", img, "sleep", "300"))
	ip := containerIP(t, d, "owner", "shared")
	if mac := strings.TrimSpace(must(t, d.docker("inspect", "-f", `{{(index .NetworkSettings.Networks "shared").MacAddress}}`, "owner"))); mac != "02:42:de:ad:be:ef" {
		t.Errorf("--mac-address: inspect shows %q", mac)
	}
	r := d.docker("run", "--rm", "--network", "container:owner", img, "sh", "-c", "busybox ip -o addr show eth0; busybox nslookup owner")
	if r.Code != 0 || strings.Count(r.Stdout, ip) < 2 || !strings.Contains(r.Stdout, "02:42:de:ad:be:ef") && !strings.Contains(r.Stdout, "inet "+ip) {
		t.Errorf("container:owner: %s", r)
	}
	if r := d.docker("run", "--rm", "--network", "container:nosuch", img, "true"); r.Code == 0 || !strings.Contains(r.Stderr, "No such container: nosuch") {
		t.Errorf("container:nosuch: %s", r)
	}
	id := networkID(t, d, "shared")
	must(t, d.docker("rm", "-f", "owner"))
	must(t, d.docker("network", "rm", "shared"))
	checkNetworkClean(t, d, id)
}

// TestNetworkCommandsBerth drives the network commands through berth and
// compares their output with docker's against the same daemon.
func TestNetworkCommandsBerth(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	removeContainersAtEnd(t, d)
	id := strings.TrimSpace(must(t, d.berth("network", "create", "--subnet", "10.235.1.0/24", "--gateway", "10.235.1.254", "--ip-range", "10.235.1.128/25",
		"--label", "tier=db", "-o", "com.docker.network.bridge.enable_icc=true", "-o", "com.docker.network.driver.mtu=1400", "data")))
	if len(id) != 64 {
		t.Fatalf("network create printed %q", id)
	}
	nw := inspectNetwork(t, d, "data")
	if nw.IPAM.Config[0].Gateway != "10.235.1.254" || nw.Options["com.docker.network.driver.mtu"] != "1400" {
		t.Errorf("created network: %+v", nw)
	}
	for _, args := range [][]string{
		{"network", "ls"}, {"network", "ls", "--no-trunc"}, {"network", "ls", "-q", "--filter", "label=tier=db"},
		{"network", "ls", "--format", "{{.Name}} {{.Internal}} {{.Labels}}"}, {"network", "inspect", "data"},
		{"network", "inspect", "-f", "{{.Name}} {{.Driver}} {{json .IPAM.Config}}", "data", "bridge", "host", "none"},
	} {
		if b, dk := d.berth(args...), d.docker(args...); b.Code != 0 || b.Stdout != dk.Stdout {
			t.Errorf("berth %v:\n%s\ndocker:\n%s", args, b, dk)
		}
	}
	must(t, d.docker("run", "-d", "--name", "db1", "--network", "data", img, "sleep", "300"))
	if ip := containerIP(t, d, "db1", "data"); !strings.HasPrefix(ip, "10.235.1.") || ip < "10.235.1.128" {
		t.Errorf("address outside the ip-range: %s", ip)
	}
	if mtu := strings.TrimSpace(must(t, d.docker("exec", "db1", "cat", "/sys/class/net/eth0/mtu"))); mtu != "1400" {
		t.Errorf("mtu in the container: %s", mtu)
	}
	if r := d.berth("network", "connect", "--alias", "extra", "bridge", "db1"); r.Code == 0 || !strings.Contains(r.Stderr, "network-scoped alias is supported only for containers in user defined networks") {
		t.Errorf("alias on the default bridge: %s", r)
	}
	must(t, d.berth("network", "connect", "bridge", "db1"))
	if r := d.berth("network", "connect", "--alias", "x", "data", "db1"); r.Code == 0 {
		t.Errorf("second connect through berth: %s", r)
	}
	must(t, d.berth("network", "disconnect", "bridge", "db1"))
	if r := d.berth("network", "rm", "data"); r.Code == 0 || !strings.Contains(r.Stderr, "has active endpoints") {
		t.Errorf("berth network rm in use: %s", r)
	}
	must(t, d.docker("rm", "-f", "db1"))
	if out := must(t, d.berth("network", "prune", "-f", "--filter", "label=tier=db")); out != "Deleted Networks:\ndata\n" {
		t.Errorf("berth network prune: %q", out)
	}
	events := must(t, d.docker("events", "--since", "0", "--until", strconv.FormatInt(time.Now().Unix()+2, 10), "--filter", "type=network", "--format", "{{.Action}} {{.Actor.Attributes.name}}"))
	if want := "create data\nconnect bridge\ndisconnect bridge\ndestroy data\n"; events != want {
		t.Errorf("network events:\n%s\nwant:\n%s", events, want)
	}
	checkNetworkClean(t, d, id)
}

// apiRequest sends one request with a JSON body to d's API socket.
func apiRequest(t *testing.T, d *daemon, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://berthd"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := unixClient(d.Socket).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPublishedPortAcrossNetworks reaches a container's published port
// from a container on another network (through the host, as Docker's
// userland proxy allows), while its own address stays out of reach.
func TestPublishedPortAcrossNetworks(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	removeContainersAtEnd(t, d)
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	must(t, d.docker("network", "create", "visitors"))
	must(t, d.docker("run", "-d", "--name", "web", "-p", port+":8080", img, "sh", "-c", "echo hello-across > /tmp/index.html; exec busybox httpd -f -p 8080 -h /tmp"))
	webIP := containerIP(t, d, "web", "bridge")
	gw := inspectNetwork(t, d, "visitors").IPAM.Config[0].Gateway
	url := "http://" + gw + ":" + port + "/"
	r := d.docker("run", "--rm", "--network", "visitors", img, "busybox", "timeout", "10", "busybox", "wget", "-q", "-O", "-", url)
	if strings.TrimSpace(r.Stdout) != "hello-across" {
		t.Errorf("published port from another network (%s): %s", url, r)
	}
	if r := d.docker("run", "--rm", "--network", "visitors", img, "busybox", "ping", "-c", "1", "-W", "1", webIP); r.Code == 0 {
		t.Errorf("the container's own address reached from another network: %s", r)
	}
	id := networkID(t, d, "visitors")
	must(t, d.docker("rm", "-f", "web"))
	must(t, d.docker("network", "rm", "visitors"))
	checkNetworkClean(t, d, id)
}
