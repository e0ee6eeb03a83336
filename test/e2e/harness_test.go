// Package e2e drives a real berthd, built from this tree, through the real
// docker CLI and through berth.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth/berth/test/testenv"
	"golang.org/x/sys/unix"
)

// binDir holds berthd and berth built for this test run.
var binDir string

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "e2e: skipping: needs root")
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "berth-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	build := exec.Command("go", "build", "-o", dir, "./cmd/...")
	build.Dir = moduleRoot()
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building binaries:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func moduleRoot() string {
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..")
}

// daemon is one berthd started by a test on its own roots and socket.
type daemon struct {
	t        testing.TB
	cmd      *exec.Cmd
	exited   chan error // receives the exit of cmd
	dir      string
	DataRoot string
	ExecRoot string
	Socket   string
	Host     string // -H value clients use
	args     []string
	log      *bytes.Buffer
}

// startDaemon starts berthd with extra flags and waits until it answers.
func startDaemon(t testing.TB, extra ...string) *daemon {
	t.Helper()
	testenv.RequireRoot(t)
	// A short exec root: shim sockets live below it, and unix socket paths
	// are limited to 107 bytes.
	dir, err := os.MkdirTemp("", "be-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &daemon{t: t, dir: dir, DataRoot: filepath.Join(dir, "data"), ExecRoot: filepath.Join(dir, "exec"), Socket: filepath.Join(dir, "berth.sock")}
	d.Host = "unix://" + d.Socket
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.args = append([]string{"--data-root", d.DataRoot, "--exec-root", d.ExecRoot, "-H", d.Host,
		"--config-file", filepath.Join(dir, "daemon.json"), "--log-level", "debug", "--bridge", testBridge(t)}, extra...)
	d.start()
	t.Cleanup(d.stop)
	return d
}

func (d *daemon) start() {
	d.t.Helper()
	d.log = &bytes.Buffer{}
	d.cmd = exec.Command(filepath.Join(binDir, "berthd"), d.args...)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.exited = make(chan error, 1)
	go func(cmd *exec.Cmd, exited chan error) { exited <- cmd.Wait() }(d.cmd, d.exited)
	deadline := time.After(15 * time.Second)
	for {
		if c, err := net.Dial("unix", d.Socket); err == nil {
			c.Close()
			return
		}
		select {
		case err := <-d.exited:
			d.cmd = nil
			d.t.Fatalf("berthd exited (%v) before serving; log:\n%s", err, d.log.String())
		case <-deadline:
			d.t.Fatalf("berthd did not come up; log:\n%s", d.log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop ends berthd with SIGTERM and checks it exits cleanly.
func (d *daemon) stop() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.exited:
		if err != nil {
			d.t.Errorf("berthd exited with %v; log:\n%s", err, d.log.String())
		}
		d.checkNoMounts()
	case <-time.After(15 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		d.t.Errorf("berthd did not stop on SIGTERM; log:\n%s", d.log.String())
	}
	d.cmd = nil
}

// kill ends berthd with SIGKILL, as a crash would.
func (d *daemon) kill() {
	_ = d.cmd.Process.Kill()
	<-d.exited
	d.cmd = nil
}

// result is what a CLI invocation produced.
type result struct {
	Stdout, Stderr string
	Code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// runCLI runs bin (docker or berth) against host with args and stdin.
func runCLI(t testing.TB, bin, host string, stdin []byte, env []string, args ...string) result {
	t.Helper()
	var in io.Reader
	if stdin != nil {
		in = bytes.NewReader(stdin)
	}
	return runCLIStream(t, bin, host, in, env, args...)
}

// runCLIStream is runCLI with a streaming stdin.
func runCLIStream(t testing.TB, bin, host string, stdin io.Reader, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	full := append([]string{"-H", host}, args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir(), "DOCKER_BUILDKIT=0")
	cmd.Env = append(cmd.Env, env...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Errorf("%s %v: %v", bin, args, err)
		code = -1
	}
	return result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// docker runs the real docker CLI against d.
func (d *daemon) docker(args ...string) result {
	d.t.Helper()
	return runCLI(d.t, "docker", d.Host, nil, nil, args...)
}

// berth runs our CLI against d.
func (d *daemon) berth(args ...string) result {
	d.t.Helper()
	return runCLI(d.t, filepath.Join(binDir, "berth"), d.Host, nil, nil, args...)
}

// must fails the test unless r exited 0, and returns its stdout.
func must(t testing.TB, r result) string {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("command failed: %s", r)
	}
	return r.Stdout
}

// lines splits trimmed output into lines.
func lines(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// clients are the two CLIs every behaviour is checked with.
var clients = []string{"docker", "berth"}

// cli runs the named client against d.
func (d *daemon) cli(name string, args ...string) result {
	d.t.Helper()
	if name == "docker" {
		return d.docker(args...)
	}
	return d.berth(args...)
}

// cliIn runs the named client with stdin.
func (d *daemon) cliIn(name string, stdin []byte, args ...string) result {
	d.t.Helper()
	bin := "docker"
	if name == "berth" {
		bin = filepath.Join(binDir, "berth")
	}
	return runCLI(d.t, bin, d.Host, stdin, nil, args...)
}

// api makes one request to d's API socket and returns the status and body.
func (d *daemon) api(t testing.TB, method, path string) (int, string) {
	t.Helper()
	return d.apiBody(t, method, path, nil)
}

// apiPost POSTs a JSON body to d's API and returns the status and body.
func (d *daemon) apiPost(t testing.TB, path, body string) (int, string) {
	t.Helper()
	return d.apiBody(t, http.MethodPost, path, strings.NewReader(body))
}

func (d *daemon) apiBody(t testing.TB, method, path string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://berthd"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := unixClient(d.Socket).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// testBridge names a bridge (and so an nftables table) for one test daemon,
// and removes both when the test ends, after the daemon stopped.
func testBridge(t testing.TB) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	bridge := "bt" + hex.EncodeToString(b)
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "delete", bridge).Run()
		_ = exec.Command("nft", "delete", "table", "ip", "berth_"+bridge).Run()
	})
	return bridge
}

// checkNoMounts fails the test if anything is still mounted under the
// daemon's directories (its data root included, which a test may put on a
// filesystem of its own) after it stopped with no container running, and
// unmounts it so that the machine stays clean.
func (d *daemon) checkNoMounts() {
	d.t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var left []string
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 4 && (strings.HasPrefix(fields[4], d.dir+"/") || strings.HasPrefix(fields[4], d.DataRoot+"/")) {
			left = append(left, fields[4])
		}
	}
	for i := len(left) - 1; i >= 0; i-- {
		_ = unix.Unmount(left[i], unix.MNT_DETACH)
	}
	if len(left) > 0 {
		d.t.Errorf("mounts left after berthd stopped: %v", left)
	}
}

// unixClient is an HTTP client whose every request goes to the unix socket.
func unixClient(socket string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}}
}
