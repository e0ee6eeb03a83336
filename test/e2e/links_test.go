package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLinkDefaultBridge links a container to a server on the default
// bridge: the linker's /etc/hosts names the server by alias, hostname and
// name, it reaches it by alias, it has Docker's link variables, and
// inspect shows the link as Docker does.
func TestLinkDefaultBridge(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	removeContainersAtEnd(t, d)
	must(t, d.docker("run", "-d", "--name", "server", "--expose", "80", "--expose", "81", "--expose", "53/udp",
		"-e", "SECRET=s3", img, "sleep", "300"))
	serverID := strings.TrimSpace(must(t, d.docker("inspect", "-f", "{{.Id}}", "server")))
	ip := containerIP(t, d, "server", "bridge")
	must(t, d.docker("run", "-d", "--name", "linker", "--link", "server:db-main", img, "sleep", "300"))

	hosts := must(t, d.docker("exec", "linker", "cat", "/etc/hosts"))
	if want := ip + "\tdb-main " + serverID[:12] + " server\n"; !strings.Contains(hosts, want) {
		t.Errorf("linker's /etc/hosts lacks %q:\n%s", want, hosts)
	}
	for _, name := range []string{"db-main", "server", serverID[:12]} {
		must(t, d.docker("exec", "linker", "busybox", "ping", "-c", "1", "-W", "2", name))
	}

	env := lines(must(t, d.docker("exec", "linker", "env")))
	for _, want := range []string{
		"DB_MAIN_PORT=tcp://" + ip + ":80",
		"DB_MAIN_PORT_80_TCP=tcp://" + ip + ":80",
		"DB_MAIN_PORT_80_TCP_ADDR=" + ip,
		"DB_MAIN_PORT_80_TCP_PORT=80",
		"DB_MAIN_PORT_80_TCP_PROTO=tcp",
		"DB_MAIN_PORT_81_TCP=tcp://" + ip + ":81",
		"DB_MAIN_PORT_80_TCP_START=tcp://" + ip + ":80",
		"DB_MAIN_PORT_80_TCP_PORT_START=80",
		"DB_MAIN_PORT_80_TCP_END=tcp://" + ip + ":81",
		"DB_MAIN_PORT_80_TCP_PORT_END=81",
		"DB_MAIN_PORT_53_UDP=udp://" + ip + ":53",
		"DB_MAIN_NAME=/linker/db-main",
		"DB_MAIN_ENV_SECRET=s3",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("linker's env lacks %s:\n%s", want, strings.Join(env, "\n"))
		}
	}
	if slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "DB_MAIN_ENV_PATH=") }) {
		t.Errorf("PATH of the target is passed on: %v", env)
	}

	var links []string
	if err := json.Unmarshal([]byte(must(t, d.docker("inspect", "-f", "{{json .HostConfig.Links}}", "linker"))), &links); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(links, []string{"/server:/linker/db-main"}) {
		t.Errorf("HostConfig.Links: %q", links)
	}
	// The server is not linked back.
	if hosts := must(t, d.docker("exec", "server", "cat", "/etc/hosts")); strings.Contains(hosts, "linker") || strings.Contains(hosts, "db-main") {
		t.Errorf("server's /etc/hosts names the linker:\n%s", hosts)
	}

	// ps lists the link name among the server's names; the CLI shows it
	// with --no-trunc only.
	if out := must(t, d.docker("ps", "--no-trunc", "--filter", "name=server", "--format", "{{.Names}}")); strings.TrimSpace(out) != "linker/db-main,server" {
		t.Errorf("ps --no-trunc names: %q", out)
	}
	if out := must(t, d.docker("ps", "--filter", "name=server", "--format", "{{.Names}}")); strings.TrimSpace(out) != "server" {
		t.Errorf("ps names: %q", out)
	}

	// The server restarts with a new address: the linker's hosts follow.
	must(t, d.docker("stop", "-t", "0", "server"))
	must(t, d.docker("run", "-d", "--name", "filler", img, "sleep", "300"))
	must(t, d.docker("start", "server"))
	newIP := containerIP(t, d, "server", "bridge")
	if hosts := must(t, d.docker("exec", "linker", "cat", "/etc/hosts")); newIP == ip || !strings.Contains(hosts, newIP+"\tdb-main ") {
		t.Errorf("linker's /etc/hosts after the server's restart on %s (was %s):\n%s", newIP, ip, hosts)
	}

	// The link survives the server's rename, then goes with rm --link,
	// and its line with it.
	must(t, d.docker("rename", "server", "db"))
	if out := strings.TrimSpace(must(t, d.docker("inspect", "-f", "{{json .HostConfig.Links}}", "linker"))); out != `["/db:/linker/db-main"]` {
		t.Errorf("links after the target's rename: %s", out)
	}
	if out := strings.TrimSpace(must(t, d.docker("rm", "--link", "/linker/db-main"))); out != "/linker/db-main" {
		t.Errorf("rm --link printed %q", out)
	}
	if out := strings.TrimSpace(must(t, d.docker("inspect", "-f", "{{json .HostConfig.Links}}", "linker"))); out != "null" {
		t.Errorf("links after rm --link: %s", out)
	}
	if hosts := must(t, d.docker("exec", "linker", "cat", "/etc/hosts")); strings.Contains(hosts, "db-main") {
		t.Errorf("linker's /etc/hosts after rm --link:\n%s", hosts)
	}
	if r := d.docker("rm", "--link", "/linker/db-main"); r.Code == 0 || !strings.Contains(r.Stderr, "No such container: linker/db-main") {
		t.Errorf("rm --link of a gone link: %s", r)
	}
	if r := d.docker("rm", "--link", "db"); r.Code == 0 || !strings.Contains(r.Stderr, "Conflict, cannot remove the default link name of the container") {
		t.Errorf("rm --link of a container name: %s", r)
	}
	must(t, d.docker("rm", "-f", "filler"))
	must(t, d.docker("rm", "-f", "linker", "db"))
	checkNetworkClean(t, d)
}

// TestLinkBadTarget links to a missing container (create fails, nothing
// is made) and to a stopped one (start fails with Docker's message and
// leaves no endpoint behind).
func TestLinkBadTarget(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	removeContainersAtEnd(t, d)

	r := d.docker("run", "-d", "--name", "linker", "--link", "missing:m", img, "sleep", "300")
	if r.Code != 125 || !strings.Contains(r.Stderr, "could not get container for missing: No such container: missing") {
		t.Errorf("link to a missing container: %s", r)
	}
	if out := must(t, d.docker("ps", "-aq")); strings.TrimSpace(out) != "" {
		t.Errorf("a failed create left containers: %s", out)
	}
	if code, body := apiRequest(t, d, "POST", "/containers/create", `{"Image":"`+img+`","HostConfig":{"Links":["missing:m"]}}`); code != 400 {
		t.Errorf("create with a link to a missing container: %d %s", code, body)
	}

	must(t, d.docker("create", "--name", "server", img, "sleep", "300"))
	r = d.docker("run", "-d", "--name", "linker", "--link", "server:db", img, "sleep", "300")
	if r.Code != 125 || !strings.Contains(r.Stderr, "Cannot link to a non running container: /server AS /linker/db") {
		t.Errorf("link to a stopped container: %s", r)
	}
	if st := strings.TrimSpace(must(t, d.docker("inspect", "-f", "{{.State.Status}}", "linker"))); st != "created" {
		t.Errorf("linker after a failed start: %s", st)
	}
	// The failed start left no endpoint: no veth, no namespace.
	if out := settledBridgePorts(t, d, 0); out != "" {
		t.Errorf("veths left by the failed start: %s", out)
	}
	if entries, _ := os.ReadDir(filepath.Join(d.ExecRoot, "netns")); len(entries) != 0 {
		t.Errorf("netns files left by the failed start: %v", entries)
	}
	if r := d.docker("run", "--rm", "--network", "host", "--link", "server:db", img, "true"); r.Code != 125 ||
		!strings.Contains(r.Stderr, "conflicting options: host type networking can't be used with links") {
		t.Errorf("link with host networking: %s", r)
	}
	// A target on a user-defined network only is not on the default bridge.
	must(t, d.docker("network", "create", "elsewhere"))
	must(t, d.docker("run", "-d", "--name", "apart", "--network", "elsewhere", img, "sleep", "300"))
	if r := d.docker("run", "-d", "--name", "linker2", "--link", "apart", img, "sleep", "300"); r.Code != 125 ||
		!strings.Contains(r.Stderr, "Cannot link to /apart, as it does not belong to the default network") {
		t.Errorf("link to a container off the default bridge: %s", r)
	}
	must(t, d.docker("rm", "-f", "apart", "linker2"))
	must(t, d.docker("network", "rm", "elsewhere"))

	// Once the server runs, the linker starts.
	must(t, d.docker("start", "server"))
	must(t, d.docker("start", "linker"))
	must(t, d.docker("exec", "linker", "busybox", "ping", "-c", "1", "-W", "2", "db"))
	must(t, d.docker("rm", "-f", "linker", "server"))
	checkNetworkClean(t, d)
}

// TestLinkUserNetwork links on a user-defined network, at run and through
// network connect: the alias resolves to the target's address on that
// network for the linker only, without hosts lines or variables.
func TestLinkUserNetwork(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	removeContainersAtEnd(t, d)
	must(t, d.docker("network", "create", "front"))
	must(t, d.docker("network", "create", "back"))
	ids := []string{networkID(t, d, "front"), networkID(t, d, "back")}
	must(t, d.docker("run", "-d", "--name", "server", "--network", "front", "--expose", "80", img, "sleep", "300"))
	must(t, d.docker("network", "connect", "back", "server"))
	must(t, d.docker("run", "-d", "--name", "linker", "--network", "front", "--link", "server:db", img, "sleep", "300"))
	must(t, d.docker("run", "-d", "--name", "bystander", "--network", "front", img, "sleep", "300"))
	frontIP, backIP := containerIP(t, d, "server", "front"), containerIP(t, d, "server", "back")

	if r := d.docker("exec", "linker", "busybox", "nslookup", "db"); r.Code != 0 || !strings.Contains(r.Stdout, frontIP) {
		t.Errorf("linker resolves its alias: %s", r)
	}
	must(t, d.docker("exec", "linker", "busybox", "ping", "-c", "1", "-W", "2", "db"))
	if r := d.docker("exec", "bystander", "busybox", "nslookup", "db"); strings.Contains(r.Stdout, frontIP) {
		t.Errorf("another container resolved the linker's alias: %s", r)
	}
	if hosts := must(t, d.docker("exec", "linker", "cat", "/etc/hosts")); slices.ContainsFunc(strings.Fields(hosts), func(f string) bool { return f == "db" || f == "server" }) {
		t.Errorf("a user-network link wrote /etc/hosts:\n%s", hosts)
	}
	if env := must(t, d.docker("exec", "linker", "env")); strings.Contains(env, "DB_") {
		t.Errorf("a user-network link set variables:\n%s", env)
	}
	if out := strings.TrimSpace(must(t, d.docker("inspect", "-f", `{{json (index .NetworkSettings.Networks "front").Links}}`, "linker"))); out != `["server:db"]` {
		t.Errorf("front's links: %s", out)
	}
	if out := strings.TrimSpace(must(t, d.docker("inspect", "-f", "{{json .HostConfig.Links}}", "linker"))); out != "null" {
		t.Errorf("HostConfig.Links on a user network: %s", out)
	}

	// network connect --link: the alias answers with the address on back.
	must(t, d.docker("run", "-d", "--name", "late", "--network", "front", img, "sleep", "300"))
	must(t, d.docker("network", "connect", "--link", "server:store", "back", "late"))
	if r := d.docker("exec", "late", "busybox", "nslookup", "store"); r.Code != 0 || !strings.Contains(r.Stdout, backIP) || strings.Contains(r.Stdout, frontIP) {
		t.Errorf("late resolves its alias on back: %s", r)
	}
	if r := d.docker("exec", "linker", "busybox", "nslookup", "store"); strings.Contains(r.Stdout, backIP) {
		t.Errorf("linker resolved late's alias: %s", r)
	}
	if out := strings.TrimSpace(must(t, d.docker("inspect", "-f", `{{json (index .NetworkSettings.Networks "back").Links}}`, "late"))); out != `["server:store"]` {
		t.Errorf("back's links: %s", out)
	}
	// The aliases are kept with the endpoints: berthd restarts (live
	// restore) and the linker still resolves its alias.
	d.kill()
	d.start()
	if r := d.docker("exec", "linker", "busybox", "nslookup", "db"); r.Code != 0 || !strings.Contains(r.Stdout, frontIP) {
		t.Errorf("linker resolves its alias after a daemon restart: %s", r)
	}
	must(t, d.docker("rm", "-f", "server", "linker", "bystander", "late"))
	must(t, d.docker("network", "rm", "front", "back"))
	checkNetworkClean(t, d, ids...)
}
