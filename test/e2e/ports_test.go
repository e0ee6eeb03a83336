package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
)

// httpdCmd serves "hello <name>" on port 80 (and any ports given) with
// busybox httpd.
func httpdCmd(name string, ports ...int) []string {
	script := "mkdir -p /www && echo hello " + name + " > /www/index.html"
	for _, p := range ports {
		script += fmt.Sprintf(" && busybox httpd -p %d -h /www", p)
	}
	return []string{"sh", "-c", script + " && exec busybox httpd -f -p 80 -h /www"}
}

// fetch GETs url from the host and returns the body, or the error text.
func fetch(url string) string {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

// fetchEventually is fetch retried until want (httpd may still be starting).
func fetchEventually(t *testing.T, url, want string) {
	t.Helper()
	got := ""
	for range 50 {
		if got = fetch(url); got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("GET %s: %q, want %q", url, got, want)
}

// hostAddr is the host's own non-loopback address (of its default route).
func hostAddr(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "-4", "-o", "route", "get", "1.2.3.4").Output()
	if err != nil {
		t.Skipf("no default route: %v", err)
	}
	f := strings.Fields(string(out))
	for i := range f {
		if f[i] == "src" && i+1 < len(f) {
			return f[i+1]
		}
	}
	t.Skipf("no source address in %q", out)
	return ""
}

// hostPort is a free TCP port on the host, as a number.
func hostPort(t *testing.T) int {
	p, _ := strconv.Atoi(freePort(t))
	return p
}

// otherHost is a network namespace joined to the host by a veth, playing
// another machine on the host's network: it reaches the host's addresses
// through it (its default route goes via the host).
type otherHost struct {
	ns     string
	hostIP string // the host's address on the link
}

func newOtherHost(t *testing.T) *otherHost {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := "bpo" + hex.EncodeToString(b)
	subnet := fmt.Sprintf("198.18.%d", b[0])
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
	}
	run("ip", "netns", "add", name)
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "delete", name).Run()
		_ = exec.Command("ip", "netns", "delete", name).Run()
	})
	run("ip", "link", "add", name, "type", "veth", "peer", "name", "eth0", "netns", name)
	run("ip", "addr", "add", subnet+".1/30", "dev", name)
	run("ip", "link", "set", name, "up")
	run("ip", "-n", name, "addr", "add", subnet+".2/30", "dev", "eth0")
	run("ip", "-n", name, "link", "set", "eth0", "up")
	run("ip", "-n", name, "link", "set", "lo", "up")
	run("ip", "-n", name, "route", "add", "default", "via", subnet+".1")
	return &otherHost{ns: name, hostIP: subnet + ".1"}
}

// wget fetches url from inside the other host.
func (o *otherHost) wget(url string) string {
	out, err := exec.Command("ip", "netns", "exec", o.ns, "/bin/busybox", "timeout", "10", "/bin/busybox", "wget", "-q", "-O", "-", url).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("error: %v: %s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// nftRules is Berth's table of d, as nft prints it.
func nftRules(t *testing.T, d *daemon) string {
	out, _ := exec.Command("nft", "list", "table", "ip", "berth_"+bridgeOf(d)).CombinedOutput()
	return string(out)
}

// portFree reports whether a host process could listen on the TCP port.
func portFree(port int) bool {
	l, err := net.Listen("tcp4", "0.0.0.0:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func TestPublishedPortReachability(t *testing.T) {
	d := startDaemon(t)
	t.Cleanup(func() { d.docker("rm", "-f", "web") })
	img := busybox(t, d)
	other := newOtherHost(t)
	host := hostAddr(t)
	hp := hostPort(t)
	must(t, d.docker(append([]string{"run", "-d", "--name", "web", "-p", fmt.Sprintf("%d:80", hp), img}, httpdCmd("web")...)...))
	gateway := inspectField(t, d, "docker", "web", "{{.NetworkSettings.Networks.bridge.Gateway}}")

	fetchEventually(t, fmt.Sprintf("http://127.0.0.1:%d/", hp), "hello web")
	fetchEventually(t, fmt.Sprintf("http://%s:%d/", host, hp), "hello web")
	for _, addr := range []string{other.hostIP, host} {
		if got := other.wget(fmt.Sprintf("http://%s:%d/", addr, hp)); got != "hello web" {
			t.Errorf("from another host to %s:%d: %q", addr, hp, got)
		}
	}
	// Hairpin: from another container, and from the container itself.
	for _, addr := range []string{host, gateway} {
		url := fmt.Sprintf("http://%s:%d/", addr, hp)
		if r := d.docker("run", "--rm", img, "busybox", "timeout", "10", "busybox", "wget", "-q", "-O", "-", url); strings.TrimSpace(r.Stdout) != "hello web" {
			t.Errorf("from another container to %s: %s", url, r)
		}
		if r := d.docker("exec", "web", "busybox", "timeout", "10", "busybox", "wget", "-q", "-O", "-", url); strings.TrimSpace(r.Stdout) != "hello web" {
			t.Errorf("from the container itself to %s: %s", url, r)
		}
	}
	// Nothing listens: the reservation is a bound socket that keeps
	// others off the port.
	if portFree(hp) {
		t.Errorf("host port %d is not reserved", hp)
	}

	// What docker shows.
	for _, c := range clients {
		if out := must(t, d.cli(c, "port", "web")); out != fmt.Sprintf("80/tcp -> 0.0.0.0:%d\n", hp) {
			t.Errorf("%s port: %q", c, out)
		}
		if out := must(t, d.cli(c, "port", "web", "80")); out != fmt.Sprintf("0.0.0.0:%d\n", hp) {
			t.Errorf("%s port web 80: %q", c, out)
		}
		if out := must(t, d.cli(c, "ps", "--format", "{{.Ports}}")); out != fmt.Sprintf("0.0.0.0:%d->80/tcp\n", hp) {
			t.Errorf("%s ps ports: %q", c, out)
		}
		want := fmt.Sprintf(`{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"%d"}]}`, hp)
		if out := inspectField(t, d, c, "web", "{{json .NetworkSettings.Ports}}"); out != want {
			t.Errorf("%s inspect ports: %s, want %s", c, out, want)
		}
	}

	// Stop: rules and reservation go; start: they come back.
	must(t, d.docker("stop", "-t", "1", "web"))
	if rules := nftRules(t, d); strings.Contains(rules, "dnat to") {
		t.Errorf("DNAT left after stop:\n%s", rules)
	}
	if !portFree(hp) {
		t.Errorf("host port %d still held after stop", hp)
	}
	if out := inspectField(t, d, "docker", "web", "{{json .NetworkSettings.Ports}}"); out != "{}" {
		t.Errorf("ports of a stopped container: %s", out)
	}
	must(t, d.docker("start", "web"))
	fetchEventually(t, fmt.Sprintf("http://127.0.0.1:%d/", hp), "hello web")
	must(t, d.docker("rm", "-f", "web"))
	if rules := nftRules(t, d); strings.Contains(rules, "dnat to") || strings.Contains(rules, "ct status dnat masquerade") {
		t.Errorf("rules left after rm:\n%s", rules)
	}
	if !portFree(hp) {
		t.Errorf("host port %d still held after rm", hp)
	}
}

var (
	portechoOnce sync.Once
	portechoPath string
	portechoErr  error
)

// portecho builds testdata/portecho (static) once, for -v into containers.
func portecho(t *testing.T) string {
	t.Helper()
	portechoOnce.Do(func() {
		portechoPath = filepath.Join(binDir, "portecho")
		cmd := exec.Command("go", "build", "-o", portechoPath, "./test/e2e/testdata/portecho")
		cmd.Dir = moduleRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			portechoErr = fmt.Errorf("building portecho: %v: %s", err, out)
		}
	})
	if portechoErr != nil {
		t.Fatal(portechoErr)
	}
	return portechoPath
}

// udpEcho sends msg to addr and returns the reply, or the error text.
func udpEcho(addr, msg string) string {
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return "error: " + err.Error()
	}
	defer c.Close()
	buf := make([]byte, 1500)
	for range 20 { // the server may still be starting: resend
		_ = c.SetDeadline(time.Now().Add(250 * time.Millisecond))
		if _, err := c.Write([]byte(msg)); err != nil {
			return "error: " + err.Error()
		}
		if n, err := c.Read(buf); err == nil {
			return string(buf[:n])
		}
	}
	return "error: no reply"
}

func TestPublishUDPRangesHostIPAndAll(t *testing.T) {
	d := startDaemon(t)
	t.Cleanup(func() { d.docker("rm", "-f", "udp", "rng", "all") })
	img := busybox(t, d)
	echo := portecho(t)
	host := hostAddr(t)

	// UDP.
	up := hostPort(t)
	must(t, d.docker("run", "-d", "--name", "udp", "-v", echo+":/portecho:ro", "-p", fmt.Sprintf("%d:5353/udp", up), img, "/portecho", "udp", "5353"))
	for _, addr := range []string{"127.0.0.1", host} {
		if got := udpEcho(fmt.Sprintf("%s:%d", addr, up), "ping"); got != "ping" {
			t.Errorf("UDP echo through %s:%d: %q", addr, up, got)
		}
	}
	if out := must(t, d.docker("port", "udp")); out != fmt.Sprintf("5353/udp -> 0.0.0.0:%d\n", up) {
		t.Errorf("port udp: %q", out)
	}

	// A range of three ports, and a host-IP binding.
	first := hostPort(t)
	for !portFree(first+1) || !portFree(first+2) {
		first = hostPort(t)
	}
	lo := hostPort(t)
	must(t, d.docker(append([]string{"run", "-d", "--name", "rng", "-p", fmt.Sprintf("%d-%d:8000-8002", first, first+2),
		"-p", fmt.Sprintf("127.0.0.1:%d:80", lo), img}, httpdCmd("rng", 8000, 8001, 8002)...)...))
	for i := range 3 {
		fetchEventually(t, fmt.Sprintf("http://127.0.0.1:%d/", first+i), "hello rng")
	}
	fetchEventually(t, fmt.Sprintf("http://127.0.0.1:%d/", lo), "hello rng")
	if got := fetch(fmt.Sprintf("http://%s:%d/", host, lo)); got == "hello rng" {
		t.Errorf("a port published on 127.0.0.1 answers on %s", host)
	}
	want := fmt.Sprintf("80/tcp -> 127.0.0.1:%d\n8000/tcp -> 0.0.0.0:%d\n8001/tcp -> 0.0.0.0:%d\n8002/tcp -> 0.0.0.0:%d\n", lo, first, first+1, first+2)
	for _, c := range clients {
		if out := must(t, d.cli(c, "port", "rng")); out != want {
			t.Errorf("%s port rng: %q, want %q", c, out, want)
		}
		// docker groups a range only where host and container ports are equal.
		wantPS := fmt.Sprintf("127.0.0.1:%d->80/tcp, 0.0.0.0:%d->8000/tcp, 0.0.0.0:%d->8001/tcp, 0.0.0.0:%d->8002/tcp\n", lo, first, first+1, first+2)
		if out := must(t, d.cli(c, "ps", "--filter", "name=rng", "--format", "{{.Ports}}")); out != wantPS {
			t.Errorf("%s ps rng: %q, want %q", c, out, wantPS)
		}
	}

	// -P: the image's EXPOSE and --expose, on ephemeral ports.
	must(t, d.docker("create", "--name", "base", img))
	must(t, d.docker("commit", "--change", "EXPOSE 80 9/udp", "base", "exposing"))
	must(t, d.docker(append([]string{"run", "-d", "--name", "all", "-P", "--expose", "8080", "exposing"}, httpdCmd("all", 8080)...)...))
	ports := map[string]int{}
	for _, line := range lines(must(t, d.docker("port", "all"))) {
		var port string
		var hp int
		if _, err := fmt.Sscanf(line, "%s -> 0.0.0.0:%d", &port, &hp); err != nil {
			t.Fatalf("port all: %q: %v", line, err)
		}
		ports[port] = hp
	}
	if len(ports) != 3 {
		t.Fatalf("-P published %v, want 80/tcp, 8080/tcp, 9/udp", ports)
	}
	lowEph, highEph := ephemeralRange(t)
	for port, hp := range ports {
		if hp < lowEph || hp > highEph {
			t.Errorf("-P gave %s host port %d, outside %d-%d", port, hp, lowEph, highEph)
		}
	}
	fetchEventually(t, fmt.Sprintf("http://127.0.0.1:%d/", ports["80/tcp"]), "hello all")
	fetchEventually(t, fmt.Sprintf("http://127.0.0.1:%d/", ports["8080/tcp"]), "hello all")
	// ps filters: publish is a host port, expose a container port.
	for filter, want := range map[string]string{
		fmt.Sprintf("publish=%d", lo): "rng", fmt.Sprintf("publish=%d/udp", up): "udp", "expose=5353/udp": "udp",
		"expose=8000-8001": "rng", "expose=9/udp": "all", "publish=1": "",
	} {
		if out := strings.TrimSpace(must(t, d.docker("ps", "--filter", filter, "--format", "{{.Names}}"))); out != want {
			t.Errorf("ps --filter %s: %q, want %q", filter, out, want)
		}
	}
	must(t, d.docker("rm", "-f", "udp", "rng", "all"))
	if rules := nftRules(t, d); strings.Contains(rules, "dnat to") {
		t.Errorf("DNAT left after rm:\n%s", rules)
	}
}

func ephemeralRange(t *testing.T) (int, int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		t.Fatal(err)
	}
	var lo, hi int
	fmt.Sscan(string(b), &lo, &hi)
	return lo, hi
}

// bridgePorts lists the links enslaved to d's bridge (the containers' veths).
func bridgePorts(t *testing.T, d *daemon) string {
	out, _ := exec.Command("ip", "-o", "link", "show", "master", bridgeOf(d)).CombinedOutput()
	return strings.TrimSpace(string(out))
}

// settledBridgePorts is bridgePorts once it lists want links, or after 5 s:
// berthd deletes the veths of containers that left in the background.
func settledBridgePorts(t *testing.T, d *daemon, want int) string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ports := bridgePorts(t, d)
		if len(lines(ports)) == want || time.Now().After(deadline) {
			return ports
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPublishConflicts(t *testing.T) {
	d := startDaemon(t)
	t.Cleanup(func() { d.docker("rm", "-f", "first", "second", "blocked") })
	img := busybox(t, d)

	// A host process holds the port: start fails, nothing is left.
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held := l.Addr().(*net.TCPAddr).Port
	for _, c := range clients {
		r := d.cli(c, append([]string{"run", "-d", "--name", "blocked", "-p", fmt.Sprintf("%d:80", held), img}, httpdCmd("x")...)...)
		if r.Code != 125 || !strings.Contains(r.Stderr, "driver failed programming external connectivity on endpoint blocked (") ||
			!strings.Contains(r.Stderr, fmt.Sprintf("failed to bind host port for 0.0.0.0:%d:", held)) ||
			!strings.Contains(r.Stderr, "/tcp: address already in use") {
			t.Errorf("%s: port held by a host process: %s", c, r)
		}
		if st := inspectField(t, d, c, "blocked", "{{.State.Status}} {{.State.Running}}"); st != "created false" {
			t.Errorf("%s: state after a failed start: %q", c, st)
		}
		if ports := settledBridgePorts(t, d, 0); ports != "" {
			t.Errorf("%s: veth left after a failed start: %s", c, ports)
		}
		if rules := nftRules(t, d); strings.Contains(rules, "dnat to") {
			t.Errorf("%s: DNAT left after a failed start:\n%s", c, rules)
		}
		must(t, d.cli(c, "rm", "blocked"))
	}

	// Two containers want one port: the second fails, the first serves on.
	hp := hostPort(t)
	must(t, d.docker(append([]string{"run", "-d", "--name", "first", "-p", fmt.Sprintf("%d:80", hp), img}, httpdCmd("first")...)...))
	r := d.docker(append([]string{"run", "-d", "--name", "second", "-p", fmt.Sprintf("%d:80", hp), img}, httpdCmd("second")...)...)
	if r.Code != 125 || !strings.Contains(r.Stderr, fmt.Sprintf("Bind for 0.0.0.0:%d failed: port is already allocated", hp)) {
		t.Errorf("second container on a taken port: %s", r)
	}
	// Also when the second asks for one address only.
	r = d.docker("start", "second")
	if r.Code == 0 {
		t.Errorf("second started on a taken port: %s", r)
	}
	fetchEventually(t, fmt.Sprintf("http://127.0.0.1:%d/", hp), "hello first")
	if n := len(lines(settledBridgePorts(t, d, 1))); n != 1 {
		t.Errorf("%d veths on the bridge, want the first container's only", n)
	}

	// Bad bindings are refused at create, with Docker's message.
	code, body := d.apiPost(t, "/containers/create", `{"Image":"`+img+`","HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"abc"}]}}}`)
	if code != 400 || !strings.Contains(body, `invalid port specification: \"abc\"`) {
		t.Errorf("bad host port: %d %s", code, body)
	}
	code, body = d.apiPost(t, "/containers/create", `{"Image":"`+img+`","HostConfig":{"PortBindings":{"80/sctp":[{"HostPort":"80"}]}}}`)
	if code != 501 || !strings.Contains(body, "is not supported by Berth yet") {
		t.Errorf("sctp: %d %s", code, body)
	}
}

func TestPublishedPortsSurviveDaemonKill(t *testing.T) {
	d := startDaemon(t)
	t.Cleanup(func() { d.docker("rm", "-f", "keep", "gone") })
	img := busybox(t, d)
	keep, gone := hostPort(t), hostPort(t)
	must(t, d.docker(append([]string{"run", "-d", "--name", "keep", "-p", fmt.Sprintf("%d:80", keep), img}, httpdCmd("keep")...)...))
	must(t, d.docker(append([]string{"run", "-d", "--name", "gone", "-p", fmt.Sprintf("%d:80", gone), img}, httpdCmd("gone")...)...))
	fetchEventually(t, fmt.Sprintf("http://127.0.0.1:%d/", keep), "hello keep")
	fetchEventually(t, fmt.Sprintf("http://127.0.0.1:%d/", gone), "hello gone")
	pid, _ := strconv.Atoi(inspectField(t, d, "docker", "gone", "{{.State.Pid}}"))

	d.kill()
	// The rules stay in the kernel: the port serves while berthd is down.
	fetchEventually(t, fmt.Sprintf("http://127.0.0.1:%d/", keep), "hello keep")
	// A container ends while berthd is down.
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
	d.start()

	fetchEventually(t, fmt.Sprintf("http://127.0.0.1:%d/", keep), "hello keep")
	// berthd serves its API once restored.
	if out := must(t, d.docker("port", "keep")); out != fmt.Sprintf("80/tcp -> 0.0.0.0:%d\n", keep) {
		t.Errorf("port keep after restart: %q", out)
	}
	if portFree(keep) {
		t.Errorf("host port %d not reserved again after the restart", keep)
	}
	waitFor(t, func() bool { return inspectField(t, d, "docker", "gone", "{{.State.Running}}") == "false" })
	rules := nftRules(t, d)
	if strings.Contains(rules, fmt.Sprintf("dport %d ", gone)) {
		t.Errorf("DNAT of a container that ended while berthd was down:\n%s", rules)
	}
	if !portFree(gone) {
		t.Errorf("host port %d of an ended container still held", gone)
	}
	must(t, d.docker("rm", "-f", "keep", "gone"))
	if rules := nftRules(t, d); strings.Contains(rules, "dnat to") {
		t.Errorf("DNAT left after rm:\n%s", rules)
	}
}

// startDaemonInNetns is startDaemon with berthd in the network namespace
// ns, which then plays the host: its firewall can be changed freely.
func startDaemonInNetns(t *testing.T, ns string) *daemon {
	t.Helper()
	dir, err := os.MkdirTemp("", "be-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &daemon{t: t, dir: dir, DataRoot: filepath.Join(dir, "data"), ExecRoot: filepath.Join(dir, "exec"), Socket: filepath.Join(dir, "berth.sock")}
	d.Host = "unix://" + d.Socket
	d.args = []string{"--data-root", d.DataRoot, "--exec-root", d.ExecRoot, "-H", d.Host,
		"--config-file", emptyConfig(t, dir), "--log-level", "debug", "--bridge", "berth0"}
	d.log = &bytes.Buffer{}
	// nsenter joins the network namespace only (ip netns exec would also
	// remount /sys, hiding the cgroup mounts from runc).
	d.cmd = exec.Command("nsenter", append([]string{"--net=/run/netns/" + ns, filepath.Join(binDir, "berthd")}, d.args...)...)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.exited = make(chan error, 1)
	go func(cmd *exec.Cmd, exited chan error) { exited <- cmd.Wait() }(d.cmd, d.exited)
	t.Cleanup(d.stop)
	waitSocket(t, d.Socket, d.log)
	return d
}

// TestPublishForwardPolicyDrop runs berthd in a namespace whose iptables
// FORWARD policy is DROP, as dockerd leaves a host: published ports and
// the containers' outbound traffic must still get through, and the accept
// rules must go with the last container.
func TestPublishForwardPolicyDrop(t *testing.T) {
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("iptables not installed")
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	ns := "bpf" + hex.EncodeToString(b)
	subnet := fmt.Sprintf("198.18.%d", b[0])
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
		return string(out)
	}
	run("ip", "netns", "add", ns)
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "delete", ns).Run()
		_ = exec.Command("ip", "netns", "delete", ns).Run()
	})
	// This machine is the other host, on a link to the namespace.
	run("ip", "link", "add", ns, "type", "veth", "peer", "name", "ext0", "netns", ns)
	run("ip", "addr", "add", subnet+".2/30", "dev", ns)
	run("ip", "link", "set", ns, "up")
	run("ip", "-n", ns, "addr", "add", subnet+".1/30", "dev", "ext0")
	run("ip", "-n", ns, "link", "set", "ext0", "up")
	run("ip", "-n", ns, "link", "set", "lo", "up")
	run("ip", "netns", "exec", ns, "iptables", "-P", "FORWARD", "DROP")

	d := startDaemonInNetns(t, ns)
	t.Cleanup(func() { d.docker("rm", "-f", "web") })
	img := busybox(t, d)
	must(t, d.docker(append([]string{"run", "-d", "--name", "web", "-p", "8080:80", img}, httpdCmd("web")...)...))
	fetchEventually(t, "http://"+subnet+".1:8080/", "hello web")

	// Outbound: a server on the other host, reached from a container.
	l, err := net.Listen("tcp4", subnet+".2:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "outside\n") })}
	go srv.Serve(l)
	defer srv.Close()
	url := fmt.Sprintf("http://%s/", l.Addr())
	if r := d.docker("run", "--rm", img, "busybox", "timeout", "10", "busybox", "wget", "-q", "-O", "-", url); strings.TrimSpace(r.Stdout) != "outside" {
		t.Errorf("outbound from a container under FORWARD DROP: %s", r)
	}

	chain := run("ip", "netns", "exec", ns, "iptables", "-S", "BERTH")
	for _, want := range []string{"-A BERTH -i berth0 -j ACCEPT", "--dport 80 -j ACCEPT"} {
		if !strings.Contains(chain, want) {
			t.Errorf("accept chain lacks %q:\n%s", want, chain)
		}
	}
	if fwd := run("ip", "netns", "exec", ns, "iptables", "-S", "FORWARD"); !strings.Contains(fwd, "-A FORWARD -j BERTH") {
		t.Errorf("FORWARD does not jump to Berth's chain:\n%s", fwd)
	}

	must(t, d.docker("rm", "-f", "web"))
	if out, err := exec.Command("ip", "netns", "exec", ns, "iptables", "-S", "BERTH").CombinedOutput(); err == nil {
		t.Errorf("accept chain left after the last container:\n%s", out)
	}
	if fwd := run("ip", "netns", "exec", ns, "iptables", "-S", "FORWARD"); strings.Contains(fwd, "BERTH") {
		t.Errorf("jump left in FORWARD:\n%s", fwd)
	}
}

// startDockerdOnBridge starts Debian's dockerd (skipping tb without it) on
// a bridge of its own, with --iptables=false so that it leaves this
// machine's firewall alone: its published ports then go through its
// userland proxy, docker-proxy, its default data path from the host.
func startDockerdOnBridge(tb testing.TB) *dockerd {
	tb.Helper()
	for _, bin := range []string{"dockerd", "containerd", "docker-proxy"} {
		if _, err := exec.LookPath(bin); err != nil {
			tb.Skipf("%s not installed", bin)
		}
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	bridge := "bdp" + hex.EncodeToString(b)
	for _, args := range [][]string{
		{"link", "add", bridge, "type", "bridge"},
		{"addr", "add", fmt.Sprintf("198.19.%d.1/24", b[0]), "dev", bridge},
		{"link", "set", bridge, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			tb.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	tb.Cleanup(func() { _ = exec.Command("ip", "link", "delete", bridge).Run() })
	return startDockerdWith(tb, "--ip-masq=false", "--bridge", bridge)
}

// transfer sends n bytes to a portecho sink at addr and returns how long
// it took until the sink confirmed them all.
func transfer(tb testing.TB, addr string, n int64) time.Duration {
	tb.Helper()
	buf := make([]byte, 1<<20)
	var last error
	for range 50 { // the sink may still be starting
		start := time.Now()
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			last = err
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for sent := int64(0); sent < n && err == nil; sent += int64(len(buf)) {
			_, err = c.Write(buf[:min(int64(len(buf)), n-sent)])
		}
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		reply, _ := io.ReadAll(c)
		c.Close()
		if err == nil && strings.TrimSpace(string(reply)) == strconv.FormatInt(n, 10) {
			return time.Since(start)
		}
		last = fmt.Errorf("%v, reply %q", err, reply)
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("transfer to %s: %v", addr, last)
	return 0
}

// BenchmarkPublishedPortThroughput sends 1 GiB from the host to a sink in
// a container: straight to the container's address, through a published
// port on 127.0.0.1 and on the host's own address; with Berth's DNAT and
// with dockerd's userland proxy (when installed). It reports MiB/s and
// each path's ratio to the direct transfer on the same engine.
//
//	go test -run XXX -bench PublishedPortThroughput -benchtime 1x ./test/e2e/
func BenchmarkPublishedPortThroughput(b *testing.B) {
	const size = 1 << 30
	fixture.SkipIfNoBusybox(b)
	echo := filepath.Join(b.TempDir(), "portecho")
	cmd := exec.Command("go", "build", "-o", echo, "./test/e2e/testdata/portecho")
	cmd.Dir, cmd.Env = moduleRoot(), append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building portecho: %v: %s", err, out)
	}
	hosts := map[string]string{"berthd": startDaemon(b).Host}
	if os.Getenv("BERTH_BENCH_DOCKERD") != "0" {
		func() {
			defer func() { _ = recover() }()
			hosts["dockerd"] = startDockerdOnBridge(b).Host
		}()
	}
	img := benchImage(b, hosts)
	out, _ := exec.Command("ip", "-4", "-o", "route", "get", "1.2.3.4").Output()
	hostIP := ""
	if f := strings.Fields(string(out)); slices.Index(f, "src") >= 0 {
		hostIP = f[slices.Index(f, "src")+1]
	}
	for name, host := range hosts {
		docker := func(args ...string) string { return must(b, runCLI(b, "docker", host, nil, nil, args...)) }
		l, _ := net.Listen("tcp4", "0.0.0.0:0")
		hp := l.Addr().(*net.TCPAddr).Port
		l.Close()
		docker("run", "-d", "--name", "sink", "-v", echo+":/portecho:ro", "-p", fmt.Sprintf("%d:9000", hp), img, "/portecho", "sink", "9000")
		cip := strings.TrimSpace(docker("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "sink"))
		paths := [][2]string{{"direct", cip + ":9000"}, {"published-127.0.0.1", fmt.Sprintf("127.0.0.1:%d", hp)}}
		if hostIP != "" {
			paths = append(paths, [2]string{"published-host-ip", fmt.Sprintf("%s:%d", hostIP, hp)})
		}
		for _, p := range paths {
			transfer(b, p[1], 16<<20) // warm up
		}
		// Rounds over all paths, so that load from elsewhere on the
		// machine spreads over them alike.
		total := make([]time.Duration, len(paths))
		for range b.N {
			for i, p := range paths {
				total[i] += transfer(b, p[1], size)
			}
		}
		direct := float64(size) * float64(b.N) / (1 << 20) / total[0].Seconds()
		b.ReportMetric(direct, name+"-direct-MiB/s")
		for i, p := range paths[1:] {
			mibs := float64(size) * float64(b.N) / (1 << 20) / total[i+1].Seconds()
			b.ReportMetric(mibs, name+"-"+p[0]+"-MiB/s")
			b.ReportMetric(mibs/direct, name+"-"+p[0]+"-x-direct")
		}
		docker("rm", "-f", "sink")
	}
}
