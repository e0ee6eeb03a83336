package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// requireVolumeAPI skips until berthd is given a volume backend.
func requireVolumeAPI(t *testing.T, d *daemon) {
	t.Helper()
	if code, body := d.api(t, http.MethodGet, "/volumes"); code == http.StatusNotImplemented {
		t.Skipf("needs daemon wiring: GET /volumes answers %d %s", code, body)
	}
}

// requireVolumeMounts skips until containers can mount volumes: it runs
// one container with a named volume and skips on berthd's 501.
func requireVolumeMounts(t *testing.T, d *daemon, img string) {
	t.Helper()
	r := d.docker("run", "--rm", "-v", "probe-vol:/probe", img, "true")
	if r.Code != 0 && strings.Contains(r.Stderr, "not supported by Berth yet") {
		t.Skip("needs daemon wiring: " + strings.TrimSpace(r.Stderr))
	}
	must(t, r)
	must(t, d.docker("volume", "rm", "probe-vol"))
}

func TestVolumeCommands(t *testing.T) {
	d := startDaemon(t)
	requireVolumeAPI(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			name := c + "-data"
			if out := must(t, d.cli(c, "volume", "create", "--label", "team=db", name)); out != name+"\n" {
				t.Errorf("create printed %q", out)
			}
			mp := strings.TrimSpace(must(t, d.cli(c, "volume", "inspect", "--format", "{{.Mountpoint}} {{.Scope}} {{.Driver}} {{.Labels.team}}", name)))
			want := filepath.Join(d.DataRoot, "volumes", name, "_data") + " local local db"
			if mp != want {
				t.Errorf("inspect: %q, want %q", mp, want)
			}
			if fi, err := os.Stat(filepath.Join(d.DataRoot, "volumes", name, "_data")); err != nil || !fi.IsDir() {
				t.Errorf("no _data directory: %v", err)
			}
			ls := must(t, d.cli(c, "volume", "ls"))
			if !strings.HasPrefix(ls, "DRIVER    VOLUME NAME\n") || !strings.Contains(ls, "local     "+name+"\n") {
				t.Errorf("ls:\n%s", ls)
			}
			if got := lines(must(t, d.cli(c, "volume", "ls", "-q", "--filter", "label=team=db", "--filter", "name="+c))); len(got) != 1 || got[0] != name {
				t.Errorf("ls -q --filter: %q", got)
			}
			if got := lines(must(t, d.cli(c, "volume", "ls", "-q", "--filter", "dangling=false"))); len(got) != 0 {
				t.Errorf("dangling=false: %q", got)
			}

			r := d.cli(c, "volume", "create", "bad name")
			if r.Code == 0 || !strings.Contains(r.Stderr, `"bad name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`) {
				t.Errorf("invalid name: %s", r)
			}
			r = d.cli(c, "volume", "inspect", "missing-vol")
			if r.Code != 1 || !strings.Contains(r.Stderr, "no such volume") {
				t.Errorf("inspect missing: %s", r)
			}
			r = d.cli(c, "volume", "rm", "missing-vol")
			if r.Code != 1 || !strings.Contains(r.Stderr, "get missing-vol: no such volume") {
				t.Errorf("rm missing: %s", r)
			}
			must(t, d.cli(c, "volume", "rm", "-f", "missing-vol"))

			anon := strings.TrimSpace(must(t, d.cli(c, "volume", "create")))
			if len(anon) != 64 {
				t.Errorf("anonymous name %q", anon)
			}
			out := must(t, d.cli(c, "volume", "prune", "-f"))
			if !strings.Contains(out, "Deleted Volumes:\n"+anon+"\n") || strings.Contains(out, name) {
				t.Errorf("prune (anonymous only):\n%s", out)
			}
			out = must(t, d.cli(c, "volume", "prune", "-f", "--all", "--filter", "label=team=db"))
			if !strings.Contains(out, name+"\n") {
				t.Errorf("prune --all:\n%s", out)
			}
			if got := lines(must(t, d.cli(c, "volume", "ls", "-q"))); len(got) != 0 {
				t.Errorf("volumes left: %q", got)
			}
		})
	}
}

func TestVolumeRunMounts(t *testing.T) {
	d := startDaemon(t)
	requireVolumeAPI(t, d)
	img := busybox(t, d)
	requireVolumeMounts(t, d, img)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			vol := c + "-keep"
			must(t, d.cli(c, "run", "--rm", "-v", vol+":/d", img, "sh", "-c", "echo kept > /d/f"))
			if out := must(t, d.cli(c, "run", "--rm", "-v", vol+":/d:ro", img, "cat", "/d/f")); out != "kept\n" {
				t.Errorf("data did not survive: %q", out)
			}

			// In use: 409 until the container is gone.
			id := strings.TrimSpace(must(t, d.cli(c, "create", "-v", vol+":/d", img, "true")))
			r := d.cli(c, "volume", "rm", vol)
			if r.Code != 1 || !strings.Contains(r.Stderr, "volume is in use - ["+id) {
				t.Errorf("rm in use: %s", r)
			}
			must(t, d.cli(c, "rm", id))
			must(t, d.cli(c, "volume", "rm", vol))

			// Copy-up: a new named volume gets the image's content.
			cu := c + "-etc"
			must(t, d.cli(c, "run", "--rm", "-v", cu+":/etc", img, "true"))
			if out := must(t, d.cli(c, "run", "--rm", "-v", cu+":/x", img, "sh", "-c", "test -s /x/passwd && echo ok")); out != "ok\n" {
				t.Errorf("copy-up: %q", out)
			}
			must(t, d.cli(c, "volume", "rm", cu))

			// Binds: -v makes the host directory; ro refuses writes.
			host := filepath.Join(t.TempDir(), "made")
			must(t, d.cli(c, "run", "--rm", "-v", host+":/h", img, "sh", "-c", "echo x > /h/f"))
			if b, err := os.ReadFile(filepath.Join(host, "f")); err != nil || string(b) != "x\n" {
				t.Errorf("bind write: %q %v", b, err)
			}
			r = d.cli(c, "run", "--rm", "-v", host+":/h:ro", img, "touch", "/h/g")
			if r.Code == 0 || !strings.Contains(r.Stderr, "Read-only file system") {
				t.Errorf("ro bind: %s", r)
			}
			r = d.cli(c, "run", "--rm", "--mount", "type=bind,source=/does/not/exist,target=/x", img, "true")
			if r.Code == 0 || !strings.Contains(r.Stderr, "bind source path does not exist: /does/not/exist") {
				t.Errorf("--mount missing source: %s", r)
			}

			// tmpfs is a tmpfs.
			out := must(t, d.cli(c, "run", "--rm", "--mount", "type=tmpfs,target=/t,tmpfs-size=1m", img, "sh", "-c", "grep ' /t ' /proc/mounts"))
			if !strings.HasPrefix(out, "tmpfs /t tmpfs") {
				t.Errorf("tmpfs: %q", out)
			}

			// rm -v removes the container's anonymous volumes only.
			id = strings.TrimSpace(must(t, d.cli(c, "create", "-v", "/anon", "-v", c+"-named:/named", img, "true")))
			if got := lines(must(t, d.cli(c, "volume", "ls", "-q"))); len(got) != 2 {
				t.Errorf("volumes after create: %q", got)
			}
			must(t, d.cli(c, "rm", "-v", id))
			if got := lines(must(t, d.cli(c, "volume", "ls", "-q"))); len(got) != 1 || got[0] != c+"-named" {
				t.Errorf("volumes after rm -v: %q", got)
			}
			must(t, d.cli(c, "volume", "rm", c+"-named"))
		})
	}
}
