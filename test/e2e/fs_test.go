package e2e

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostSecret makes a directory on the host holding a secret file, that no
// container operation may read or change, and returns the directory.
func hostSecret(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "berth-secret-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkSecret fails unless dir still holds only the untouched secret.
func checkSecret(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	b, err := os.ReadFile(filepath.Join(dir, "secret"))
	if len(entries) != 1 || err != nil || string(b) != "host secret\n" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("host directory %s changed: %q, secret %q %v", dir, names, b, err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%v", err)
	}
	return string(b)
}

func TestCopyRunningAndStopped(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			tmp := t.TempDir()
			bind := filepath.Join(tmp, "bind")
			writeFile(t, filepath.Join(tmp, "src", "f"), "hello\n")
			writeFile(t, filepath.Join(tmp, "tree", "a", "b", "deep"), "deep\n")
			writeFile(t, filepath.Join(tmp, "tree", "top"), "top\n")
			if err := os.Mkdir(bind, 0o755); err != nil {
				t.Fatal(err)
			}
			vol := c + "-cpvol"
			for _, state := range []string{"running", "stopped"} {
				name := c + "-cp-" + state
				args := []string{"-v", vol + ":/vol", "-v", bind + ":/bind", "--name", name, img, "sleep", "1000"}
				if state == "running" {
					must(t, d.cli(c, append([]string{"run", "-d"}, args...)...))
				} else {
					must(t, d.cli(c, append([]string{"create"}, args...)...))
				}
				// In: a file into the rootfs, a volume and a bind; a tree.
				// No progress message: stderr is not a terminal.
				if r := must2(t, d.cli(c, "cp", filepath.Join(tmp, "src", "f"), name+":/tmp/f")); r.Stderr != "" {
					t.Errorf("cp in printed %s", r)
				}
				must(t, d.cli(c, "cp", filepath.Join(tmp, "src", "f"), name+":/vol/"+state))
				must(t, d.cli(c, "cp", filepath.Join(tmp, "src", "f"), name+":/bind/"+state))
				must(t, d.cli(c, "cp", filepath.Join(tmp, "tree"), name+":/tmp/"))
				must(t, d.cli(c, "cp", filepath.Join(tmp, "tree")+"/.", name+":/tmp/flat"))
				if got := readFile(t, filepath.Join(d.DataRoot, "volumes", vol, "_data", state)); got != "hello\n" {
					t.Errorf("%s: file copied into the volume: %q", state, got)
				}
				if got := readFile(t, filepath.Join(bind, state)); got != "hello\n" {
					t.Errorf("%s: file copied into the bind: %q", state, got)
				}
				// Out: a file, a tree, a file from a volume.
				out := filepath.Join(tmp, "out-"+state)
				must(t, d.cli(c, "cp", name+":/tmp/f", out+"-f"))
				must(t, d.cli(c, "cp", name+":/tmp/tree", out+"-tree"))
				must(t, d.cli(c, "cp", name+":/tmp/flat/.", out+"-flat"))
				must(t, d.cli(c, "cp", name+":/vol/"+state, out+"-vol"))
				for p, want := range map[string]string{"-f": "hello\n", "-tree/a/b/deep": "deep\n", "-tree/top": "top\n",
					"-flat/a/b/deep": "deep\n", "-vol": "hello\n"} {
					if got := readFile(t, out+p); got != want {
						t.Errorf("%s: copied out %s: %q, want %q", state, p, got, want)
					}
				}
				// Archives through "-".
				r := must2(t, d.cli(c, "cp", name+":/tmp/tree", "-"))
				if names := tarNames(t, []byte(r.Stdout)); !slices.Contains(names, "tree/a/b/deep") {
					t.Errorf("cp to -: %q", names)
				}
				tarball := makeTar(t, tarEntry{name: "from-stdin", body: "stdin\n"})
				must(t, d.cliIn(c, tarball, "cp", "-", name+":/tmp"))
				// Errors.
				r = d.cli(c, "cp", name+":/nonexistent", filepath.Join(tmp, "x"))
				if r.Code == 0 || !strings.Contains(r.Stderr, "Could not find the file /nonexistent in container "+name) {
					t.Errorf("cp of a missing path: %s", r)
				}
				r = d.cli(c, "cp", filepath.Join(tmp, "src", "f"), name+":/nonexistent/dir/f")
				if r.Code == 0 || !strings.Contains(r.Stderr, "Could not find the file /nonexistent") {
					t.Errorf("cp to a missing directory: %s", r)
				}
				if state == "stopped" {
					must(t, d.cli(c, "start", name))
				}
				got := must(t, d.cli(c, "exec", name, "cat", "/tmp/f", "/tmp/tree/a/b/deep", "/tmp/flat/top", "/tmp/from-stdin", "/vol/"+state, "/bind/"+state))
				if got != "hello\ndeep\ntop\nstdin\nhello\nhello\n" {
					t.Errorf("%s: content seen in the container: %q", state, got)
				}
				must(t, d.cli(c, "rm", "-f", name))
			}
			must(t, d.cli(c, "volume", "rm", vol))
		})
	}
}

// must2 is must returning the whole result.
func must2(t *testing.T, r result) result {
	t.Helper()
	must(t, r)
	return r
}

// Crafted symlinks in a container and crafted tars never reach the host.
func TestCopyEscapes(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	secret := hostSecret(t)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			tmp := t.TempDir()
			name := c + "-escape"
			setup := fmt.Sprintf("ln -s / /toroot; ln -s %s /hostdir; ln -s ../../../../../%s /reldir; mkdir -p /real%s; echo decoy > /real%s/secret; sleep 1000",
				secret, secret, secret, secret)
			must(t, d.cli(c, "run", "-d", "--name", name, img, "sh", "-c", setup))
			waitFor(t, func() bool { return d.cli(c, "exec", name, "test", "-e", "/real"+secret+"/secret").Code == 0 })
			// Reading through symlinks that name host paths gets the container's files or nothing.
			for _, p := range []string{"/hostdir/secret", "/reldir/secret", "/toroot" + secret + "/secret"} {
				r := d.cli(c, "cp", name+":"+p, filepath.Join(tmp, "out"))
				if r.Code == 0 || !strings.Contains(r.Stderr, "Could not find the file") {
					t.Errorf("cp out of %s: %s", p, r)
				}
			}
			r := d.cli(c, "cp", "-L", name+":/hostdir", filepath.Join(tmp, "out"))
			if r.Code == 0 {
				t.Errorf("cp -L of a symlink to a host path: %s", r)
			}
			must(t, d.cli(c, "exec", name, "sh", "-c", "rm /toroot; ln -s /real /toroot"))
			must(t, d.cli(c, "cp", name+":/toroot"+secret+"/secret", filepath.Join(tmp, "decoy")))
			if got := readFile(t, filepath.Join(tmp, "decoy")); got != "decoy\n" {
				t.Errorf("read through a symlink: %q", got)
			}
			// Writing through them lands in the container or fails.
			writeFile(t, filepath.Join(tmp, "pwn"), "pwned\n")
			for _, p := range []string{"/hostdir/", "/reldir/", "/hostdir"} {
				_ = d.cli(c, "cp", filepath.Join(tmp, "pwn"), name+":"+p)
			}
			// Tars with ../ entries, symlinks and hardlinks leading out of
			// the extraction directory are refused.
			for _, tarball := range [][]byte{
				makeTar(t, tarEntry{name: "../pwn", body: "x"}),
				makeTar(t, tarEntry{name: "a/../../pwn", body: "x"}),
				makeTar(t, tarEntry{name: "l", link: "../etc", symlink: true}),
				makeTar(t, tarEntry{name: "h", link: "../etc/passwd"}),
			} {
				r := d.cliIn(c, tarball, "cp", "-", name+":/tmp")
				if r.Code == 0 || !strings.Contains(r.Stderr, "invalid") {
					t.Errorf("crafted tar accepted: %s", r)
				}
			}
			if out := must(t, d.cli(c, "exec", name, "ls", "/", "/tmp")); strings.Contains(out, "pwn") {
				t.Errorf("a refused tar left files:\n%s", out)
			}
			// Tars aimed at the host path land in the container, if anywhere.
			for _, tarball := range [][]byte{
				makeTar(t, tarEntry{name: "../../../../../.." + secret + "/pwn", body: "x"}),
				makeTar(t, tarEntry{name: "toroot/" + secret + "/pwn", body: "x"}),
				makeTar(t, tarEntry{name: "l2", link: secret, symlink: true}, tarEntry{name: "l2/pwn", body: "x"}),
				makeTar(t, tarEntry{name: "h2", link: secret + "/secret"}),
			} {
				_ = d.cliIn(c, tarball, "cp", "-", name+":/")
			}
			checkSecret(t, secret)
			must(t, d.cli(c, "rm", "-f", name))
		})
	}
}

type tarEntry struct {
	name, body, link string
	symlink          bool
}

func makeTar(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		switch {
		case e.symlink:
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeSymlink, e.link, 0
		case e.link != "":
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, e.link, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarNames(t *testing.T, b []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if err != nil {
			return names
		}
		names = append(names, strings.TrimSuffix(hdr.Name, "/"))
	}
}

// The symlink-swap race of CVE-2018-15664: while the container swaps a
// directory for a symlink to / again and again, cp in and out many times;
// nothing outside the container is ever read or written.
func TestCopySymlinkSwapRace(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	secret := hostSecret(t)
	tmp := t.TempDir()
	writeFile(t, filepath.Join(tmp, "pwn"), "pwned\n")
	loop := fmt.Sprintf("mkdir -p /race/real%s && echo decoy > /race/real%s/secret && touch /ready && "+
		"while true; do ln -sfn /race/real /race/link; ln -sfn / /race/link; done", secret, secret)
	must(t, d.docker("run", "-d", "--name", "racer", img, "sh", "-c", loop))
	waitFor(t, func() bool { return d.docker("exec", "racer", "test", "-e", "/ready").Code == 0 })
	reads := map[string]int{}
	for i := 0; i < 40; i++ {
		out := filepath.Join(tmp, fmt.Sprintf("out%d", i))
		if r := d.docker("cp", "racer:/race/link"+secret+"/secret", out); r.Code != 0 {
			reads["failed"]++
			continue
		}
		got := readFile(t, out)
		reads[strings.TrimSpace(got)]++
		if got != "decoy\n" && got != "pwned\n" { // the container's file, maybe overwritten by an earlier cp
			t.Errorf("read %q through the racing symlink", got)
		}
		_ = d.docker("cp", filepath.Join(tmp, "pwn"), "racer:/race/link"+secret+"/")
		_ = d.docker("cp", filepath.Join(tmp, "pwn"), "racer:/race/link"+secret+"/secret")
	}
	t.Logf("reads: %v", reads)
	checkSecret(t, secret)
	must(t, d.docker("rm", "-f", "racer"))
}

func TestDiffCommitExport(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			name := c + "-changes"
			must(t, d.cli(c, "run", "--name", name, img, "sh", "-c",
				"mkdir /newdir && echo x > /newdir/f && rm /etc/group && echo y >> /etc/passwd && mkdir -p /tmp/opq && rm -rf /bin/busybox-none"))
			diff := lines(must(t, d.cli(c, "diff", name)))
			for _, want := range []string{"A /newdir", "A /newdir/f", "C /etc", "D /etc/group", "C /etc/passwd"} {
				if !slices.Contains(diff, want) {
					t.Errorf("diff lacks %q:\n%s", want, strings.Join(diff, "\n"))
				}
			}
			if slices.Index(diff, "C /etc") > slices.Index(diff, "D /etc/group") {
				t.Errorf("a parent comes after its child:\n%s", strings.Join(diff, "\n"))
			}

			// Commit with changes, then run the new image.
			id := strings.TrimSpace(must(t, d.cli(c, "commit", "-a", "me", "-m", "a message", "-c", `CMD ["cat", "/newdir/f"]`,
				"-c", "ENV FOO=bar", "-c", "LABEL team=fs", "-c", "WORKDIR /newdir", name, c+"-committed:v1")))
			if !strings.HasPrefix(id, "sha256:") || len(id) != 71 {
				t.Errorf("commit printed %q", id)
			}
			if out := must(t, d.cli(c, "run", "--rm", c+"-committed:v1")); out != "x\n" {
				t.Errorf("run of the committed image: %q", out)
			}
			out := must(t, d.cli(c, "run", "--rm", c+"-committed:v1", "sh", "-c", `echo $FOO; pwd; test -e /etc/group || echo group gone; tail -1 /etc/passwd`))
			if out != "bar\n/newdir\ngroup gone\ny\n" {
				t.Errorf("committed image content and config: %q", out)
			}
			out = must(t, d.cli(c, "image", "inspect", "--format", "{{.Author}}|{{.Comment}}|{{.Config.Labels.team}}|{{len .RootFS.Layers}}", c+"-committed:v1"))
			base := strings.TrimSpace(must(t, d.cli(c, "image", "inspect", "--format", "{{len .RootFS.Layers}}", img)))
			if want := fmt.Sprintf("me|a message|fs|%d\n", atoi(t, base)+1); out != want {
				t.Errorf("inspect of the committed image: %q", out)
			}
			baseID := must(t, d.cli(c, "image", "inspect", "--format", "{{.Id}}", img))
			if parent := must(t, d.cli(c, "image", "inspect", "--format", "{{.Parent}}", c+"-committed:v1")); parent != baseID {
				t.Errorf("Parent of the committed image %q, want the base %q", parent, baseID)
			}
			if out := must(t, d.cli(c, "history", "--format", "{{.Comment}}", c+"-committed:v1")); lines(out)[0] != "a message" {
				t.Errorf("history: %q", out)
			}

			// Export: the merged filesystem as a tar; export | import round trip.
			r := must2(t, d.cli(c, "export", name))
			names := tarNames(t, []byte(r.Stdout))
			if !slices.Contains(names, "newdir/f") || !slices.Contains(names, "bin/busybox") || slices.Contains(names, "etc/group") {
				t.Errorf("export lists %d names, newdir/f %v, etc/group %v", len(names), slices.Contains(names, "newdir/f"), slices.Contains(names, "etc/group"))
			}
			bin := "docker"
			if c == "berth" {
				bin = filepath.Join(binDir, "berth")
			}
			piped, err := exec.Command("sh", "-c", bin+" -H "+d.Host+" export "+name+" | tar t").Output()
			if err != nil || !strings.Contains(string(piped), "newdir/f\n") {
				t.Errorf("export | tar t: %v", err)
			}
			tarFile := filepath.Join(t.TempDir(), "export.tar")
			must(t, d.cli(c, "export", "-o", tarFile, name))
			if out, err := exec.Command("tar", "tf", tarFile).Output(); err != nil || !strings.Contains(string(out), "newdir/f\n") {
				t.Errorf("tar t of the export: %v", err)
			}
			must(t, d.cli(c, "import", tarFile, c+"-imported:1"))
			if out := must(t, d.cli(c, "run", "--rm", c+"-imported:1", "cat", "/newdir/f")); out != "x\n" {
				t.Errorf("run of the imported export: %q", out)
			}

			// A running container is paused for the commit (and resumed).
			must(t, d.cli(c, "run", "-d", "--name", name+"-run", img, "sh", "-c", "echo live > /live; sleep 1000"))
			waitFor(t, func() bool { return d.cli(c, "exec", name+"-run", "test", "-e", "/live").Code == 0 })
			must(t, d.cli(c, "commit", name+"-run", c+"-live"))
			if out := must(t, d.cli(c, "inspect", "--format", "{{.State.Status}}", name+"-run")); out != "running\n" {
				t.Errorf("after commit: %q", out)
			}
			if out := must(t, d.cli(c, "run", "--rm", c+"-live", "cat", "/live")); out != "live\n" {
				t.Errorf("live commit: %q", out)
			}

			// Errors.
			must(t, d.cli(c, "rm", "-f", name+"-run", name))
			for _, args := range [][]string{{"commit", name}, {"diff", name}, {"export", name}} {
				r := d.cli(c, args...)
				if r.Code == 0 || !strings.Contains(r.Stderr, "No such container: "+name) {
					t.Errorf("%s of a removed container: %s", args[0], r)
				}
			}
			r = d.cli(c, "commit", "-c", "FROM x", img)
			if r.Code == 0 {
				t.Errorf("commit with a bad change: %s", r)
			}
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestVolumesFromAndLocalDriverOptions(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			since := fmt.Sprint(time.Now().Unix())
			src := c + "-vf-src"
			must(t, d.cli(c, "run", "-d", "--name", src, "-v", c+"-vf-data:/data", "-v", "/anon", img,
				"sh", "-c", "echo from-src > /data/f; echo anon > /anon/g; sleep 1000"))
			waitFor(t, func() bool { return d.cli(c, "exec", src, "test", "-s", "/anon/g").Code == 0 })
			if out := must(t, d.cli(c, "run", "--rm", "--volumes-from", src, img, "cat", "/data/f", "/anon/g")); out != "from-src\nanon\n" {
				t.Errorf("--volumes-from: %q", out)
			}
			r := d.cli(c, "run", "--rm", "--volumes-from", src+":ro", img, "sh", "-c", "echo x > /data/f")
			if r.Code == 0 || !strings.Contains(r.Stderr, "Read-only file system") {
				t.Errorf("--volumes-from :ro: %s", r)
			}
			// (The CLIs take create's 404 for a missing image and try to pull.)
			code, body := d.apiPost(t, "/containers/create", `{"Image":"`+img+`","HostConfig":{"VolumesFrom":["nosuch-container"]}}`)
			if code != 404 || !strings.Contains(body, "No such container: nosuch-container") {
				t.Errorf("--volumes-from a missing container: %d %s", code, body)
			}
			r = d.cli(c, "create", "--volumes-from", src+":rshared", img)
			if r.Code == 0 || !strings.Contains(r.Stderr, "invalid mode: rshared") {
				t.Errorf("--volumes-from with a bad mode: %s", r)
			}
			must(t, d.cli(c, "rm", "-f", src))

			// A tmpfs volume with options, mounted while used.
			vol := c + "-tmpvol"
			must(t, d.cli(c, "volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=100m,uid=1000", vol))
			out := must(t, d.cli(c, "run", "--rm", "-v", vol+":/t", img, "sh", "-c", "stat -f -c %T /t; stat -c %u /t; df -k /t | tail -1"))
			if l := lines(out); len(l) != 3 || l[0] != "tmpfs" || l[1] != "1000" || !strings.Contains(l[2], "102400") {
				t.Errorf("tmpfs volume: %q", out)
			}
			mp := filepath.Join(d.DataRoot, "volumes", vol, "_data")
			if mi, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mi), mp) {
				t.Errorf("the tmpfs volume is still mounted after its container stopped")
			}
			r = d.cli(c, "volume", "create", "--opt", "type=tmpfs", c+"-bad")
			if r.Code == 0 || !strings.Contains(r.Stderr, `missing required option: "device"`) {
				t.Errorf("volume with type and no device: %s", r)
			}
			// A bind through the local driver.
			host := t.TempDir()
			bvol := c + "-bindvol"
			must(t, d.cli(c, "volume", "create", "--opt", "type=none", "--opt", "device="+host, "--opt", "o=bind", bvol))
			must(t, d.cli(c, "run", "--rm", "-v", bvol+":/b", img, "sh", "-c", "echo bound > /b/f"))
			if got := readFile(t, filepath.Join(host, "f")); got != "bound\n" {
				t.Errorf("o=bind volume: %q", got)
			}
			must(t, d.cli(c, "volume", "rm", vol, bvol, c+"-vf-data"))

			ev := lines(must(t, d.cli(c, "events", "--since", since, "--until", fmt.Sprint(time.Now().Unix()+1),
				"--filter", "type=volume", "--filter", "volume="+vol, "--format", "{{.Action}}")))
			if want := []string{"create", "mount", "unmount", "destroy"}; !slices.Equal(ev, want) {
				t.Errorf("volume events: %q, want %q", ev, want)
			}
		})
	}
}

func TestCopyOwnershipAndReadOnly(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			tmp := t.TempDir()
			writeFile(t, filepath.Join(tmp, "f"), "data\n")
			name := c + "-ro"
			rwv, rov := c+"-rwv", c+"-rov"
			must(t, d.cli(c, "run", "-d", "--name", name, "--read-only", "--user", "1000:1001", "-v", rov+":/rov:ro", "-v", rwv+":/rwv",
				img, "sleep", "1000"))
			t.Cleanup(func() { d.cli(c, "rm", "-f", name) })
			r := d.cli(c, "cp", filepath.Join(tmp, "f"), name+":/tmp/f")
			if r.Code == 0 || !strings.Contains(r.Stderr, "container rootfs is marked read-only") {
				t.Errorf("cp into a read-only rootfs: %s", r)
			}
			r = d.cli(c, "cp", filepath.Join(tmp, "f"), name+":/rov/f")
			if r.Code == 0 || !strings.Contains(r.Stderr, "mounted volume is marked read-only") {
				t.Errorf("cp into a read-only volume: %s", r)
			}
			must(t, d.cli(c, "cp", "-a", filepath.Join(tmp, "f"), name+":/rwv/owned"))
			must(t, d.cli(c, "cp", filepath.Join(tmp, "f"), name+":/rwv/plain"))
			if out := must(t, d.cli(c, "exec", name, "sh", "-c", "stat -c %u:%g /rwv/owned /rwv/plain")); out != "1000:1001\n0:0\n" {
				t.Errorf("owners with and without -a: %q", out)
			}
			// -L copies what a symlink points to, under the link's name.
			must(t, d.cli(c, "exec", "-u", "0", name, "sh", "-c", "ln -sf /etc/passwd /rwv/lnk"))
			must(t, d.cli(c, "cp", "-L", name+":/rwv/lnk", filepath.Join(tmp, "followed")))
			if fi, err := os.Lstat(filepath.Join(tmp, "followed")); err != nil || !fi.Mode().IsRegular() || !strings.Contains(readFile(t, filepath.Join(tmp, "followed")), "root:") {
				t.Errorf("cp -L: %v %v", fi, err)
			}
			must(t, d.cli(c, "rm", "-f", name))
			must(t, d.cli(c, "volume", "rm", rwv, rov))
		})
	}
}

// A volume with driver options stays mounted while its container runs
// across a daemon restart, and goes when the container stops.
func TestLocalDriverVolumeAcrossRestart(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	must(t, d.docker("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "tv"))
	must(t, d.docker("run", "-d", "--name", "tv-user", "-v", "tv:/t", img, "sleep", "1000"))
	mp := filepath.Join(d.DataRoot, "volumes", "tv", "_data")
	mounted := func() bool { mi, _ := os.ReadFile("/proc/self/mountinfo"); return strings.Contains(string(mi), mp) }
	if !mounted() {
		t.Fatal("the tmpfs volume is not mounted while its container runs")
	}
	d.kill()
	d.start()
	must(t, d.docker("exec", "tv-user", "sh", "-c", "echo kept > /t/f"))
	must(t, d.docker("rm", "-f", "tv-user"))
	if mounted() {
		t.Error("the tmpfs volume is still mounted after its container stopped")
	}
	must(t, d.docker("volume", "rm", "tv"))
}

// On a terminal, cp ends with docker's summary line.
func TestCopySummaryOnTerminal(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	must(t, d.docker("create", "--name", "summary", img))
	src := filepath.Join(t.TempDir(), "f")
	writeFile(t, src, "hello\n")
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			_, out, done := onTerminal(t, d, c, "cp", src, "summary:/f")
			out.WaitFor(t, "Successfully copied 2.05kB to summary:/f") // docker 28 counts the tar's bytes
			if code := waitExit(t, done, out); code != 0 {
				t.Errorf("cp in: exit %d: %q", code, out.String())
			}
			dst := filepath.Join(t.TempDir(), "out")
			_, out, done = onTerminal(t, d, c, "cp", "summary:/etc", dst)
			out.WaitFor(t, "Successfully copied ")
			out.WaitFor(t, "B to "+dst)
			if code := waitExit(t, done, out); code != 0 {
				t.Errorf("cp out: exit %d: %q", code, out.String())
			}
			_, out, done = onTerminal(t, d, c, "cp", "summary:/f", dst+"-f")
			out.WaitFor(t, "Successfully copied 2.05kB to "+dst+"-f")
			if code := waitExit(t, done, out); code != 0 {
				t.Errorf("cp out of a file: exit %d: %q", code, out.String())
			}
		})
	}
}
