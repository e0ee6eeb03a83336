package e2e

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/api"
	"github.com/berth/berth/test/testenv"
)

func TestVersionAndInfo(t *testing.T) {
	d := startDaemon(t)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			out := must(t, d.cli(c, "version"))
			for _, want := range []string{"Server: Berth Engine", "API version:", api.MaxVersion} {
				if !strings.Contains(out, want) {
					t.Errorf("%s version lacks %q:\n%s", c, want, out)
				}
			}
			srv := must(t, d.cli(c, "version", "--format", "{{.Server.APIVersion}} {{.Server.Os}}"))
			if strings.TrimSpace(srv) != api.MaxVersion+" linux" {
				t.Errorf("%s version --format: %q", c, srv)
			}
			info := must(t, d.cli(c, "info", "--format", "{{json .}}"))
			var got map[string]any
			if err := json.Unmarshal([]byte(info), &got); err != nil {
				t.Fatalf("info json: %v\n%s", err, info)
			}
			if got["Driver"] != "overlay2" || got["DockerRootDir"] != d.DataRoot || got["OSType"] != "linux" ||
				got["CgroupDriver"] != "cgroupfs" || got["NCPU"].(float64) < 1 || got["MemTotal"].(float64) <= 0 ||
				got["KernelVersion"] == "" || got["DefaultRuntime"] != "runc" {
				t.Errorf("%s info fields wrong: %v", c, got)
			}
			plain := must(t, d.cli(c, "info"))
			for _, want := range []string{"Storage Driver: overlay2", "Docker Root Dir: " + d.DataRoot, "Cgroup Driver: cgroupfs"} {
				if !strings.Contains(plain, want) {
					t.Errorf("%s info lacks %q:\n%s", c, want, plain)
				}
			}
		})
	}
}

func TestSecondDaemonOnSameDataRootRefused(t *testing.T) {
	d := startDaemon(t)
	cmd := exec.Command(filepath.Join(binDir, "berthd"), "--data-root", d.DataRoot, "--exec-root", filepath.Join(d.dir, "exec2"),
		"-H", "unix://"+filepath.Join(d.dir, "other.sock"), "--config-file", filepath.Join(d.dir, "daemon.json"))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another berthd") {
		t.Fatalf("second daemon: err %v, output %s", err, out)
	}
	// The first daemon still serves.
	must(t, d.docker("version"))
}

func TestPlainTCPOnNonLoopbackRefused(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	cmd := exec.Command(filepath.Join(binDir, "berthd"), "--data-root", filepath.Join(dir, "d"), "--exec-root", filepath.Join(dir, "e"),
		"-H", "tcp://0.0.0.0:0", "-H", "unix://"+filepath.Join(dir, "s.sock"), "--config-file", emptyConfig(t, dir))
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("berthd served plain TCP on 0.0.0.0 without an opt-out")
	}
	if err == nil || !strings.Contains(string(out), "without TLS") {
		t.Fatalf("err %v, output %s", err, out)
	}
}

func TestPlainTCPOnLoopback(t *testing.T) {
	port := freePort(t)
	d := startDaemon(t, "-H", "tcp://127.0.0.1:"+port)
	r := runCLI(t, "docker", "tcp://127.0.0.1:"+port, nil, nil, "version", "--format", "{{.Server.Version}}")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) == "" {
		t.Fatalf("docker over tcp: %s", r)
	}
	_ = d
}

func TestDaemonJSON(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(conf, []byte(`{"labels":["team=berth"],"default-runtime":"crun"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, dir: dir, DataRoot: filepath.Join(dir, "data"), ExecRoot: filepath.Join(dir, "exec"), Socket: filepath.Join(dir, "b.sock")}
	d.Host = "unix://" + d.Socket
	d.args = []string{"--data-root", d.DataRoot, "--exec-root", d.ExecRoot, "-H", d.Host, "--config-file", conf, "--bridge", testBridge(t)}
	d.start()
	t.Cleanup(d.stop)
	out := must(t, d.docker("info", "--format", "{{.Labels}} {{.DefaultRuntime}}"))
	if strings.TrimSpace(out) != "[team=berth] crun" {
		t.Errorf("daemon.json not applied: %q", out)
	}
	// The pid file is under the exec root and names the daemon.
	pid, err := os.ReadFile(filepath.Join(d.ExecRoot, "berthd.pid"))
	if err != nil || strings.TrimSpace(string(pid)) == "" {
		t.Errorf("pid file: %q %v", pid, err)
	}
}

func TestAPIErrorsThroughCLI(t *testing.T) {
	d := startDaemon(t)
	r := d.docker("image", "inspect", "nonexistent:1")
	if r.Code != 1 || !strings.Contains(r.Stderr, "No such image: nonexistent:1") {
		t.Errorf("docker image inspect missing: %s", r)
	}
	r = d.berth("image", "inspect", "nonexistent:1")
	if r.Code != 1 || !strings.Contains(r.Stderr, "No such image: nonexistent:1") {
		t.Errorf("berth image inspect missing: %s", r)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func emptyConfig(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUnixSocketPermissionsAndCleanShutdown(t *testing.T) {
	d := startDaemon(t)
	st, err := os.Stat(d.Socket)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o660 {
		t.Errorf("socket mode %v, want srw-rw----", st.Mode())
	}
	d.stop()
	if _, err := os.Stat(d.Socket); !os.IsNotExist(err) {
		t.Errorf("socket left after SIGTERM: %v", err)
	}
	if _, err := os.Stat(filepath.Join(d.ExecRoot, "berthd.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file left after SIGTERM: %v", err)
	}
}

// TestSocketActivation passes a listening socket as fd 3 the way systemd
// does (LISTEN_FDS, LISTEN_PID) and serves the API on it with -H fd://.
func TestSocketActivation(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "activated.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ul := l.(*net.UnixListener)
	ul.SetUnlinkOnClose(false) // the socket file must outlive our copy of it
	f, err := ul.File()
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	// sh sets LISTEN_PID to its own pid, which exec hands to berthd.
	script := `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`
	cmd := exec.Command("/bin/sh", "-c", script, filepath.Join(binDir, "berthd"),
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"-H", "fd://", "--config-file", emptyConfig(t, dir), "--bridge", testBridge(t))
	cmd.ExtraFiles = []*os.File{f}
	var logBuf strings.Builder
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	var r result
	for range 100 {
		r = runCLI(t, "docker", "unix://"+sock, nil, nil, "version", "--format", "{{.Server.APIVersion}}")
		if r.Code == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != api.MaxVersion {
		t.Fatalf("docker over an activated socket: %s\nberthd log:\n%s", r, logBuf.String())
	}
}
