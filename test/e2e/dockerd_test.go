package e2e

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// dockerd is Debian's Docker engine started on its own roots, for side by
// side measurements. It is used only when installed.
type dockerd struct {
	Host        string
	dir         string
	containerd  *exec.Cmd
	dockerd     *exec.Cmd
	containerdL bytes.Buffer
	dockerdL    bytes.Buffer
}

// startDockerd starts containerd and dockerd in a temp dir, without a
// bridge, or skips tb when they are not installed.
func startDockerd(tb testing.TB) *dockerd {
	tb.Helper()
	return startDockerdWith(tb, "--bridge=none")
}

// startDockerdWith is startDockerd with networkArgs (--bridge and the like)
// for dockerd; --iptables=false always, so that it leaves the machine's
// firewall alone.
func startDockerdWith(tb testing.TB, networkArgs ...string) *dockerd {
	tb.Helper()
	for _, bin := range []string{"dockerd", "containerd"} {
		if _, err := exec.LookPath(bin); err != nil {
			tb.Skipf("%s not installed (apt-get install docker.io)", bin)
		}
	}
	dir, err := os.MkdirTemp("", "berth-dockerd-")
	if err != nil {
		tb.Fatal(err)
	}
	d := &dockerd{dir: dir, Host: "unix://" + filepath.Join(dir, "docker.sock")}
	ctrSock := filepath.Join(dir, "containerd.sock")
	d.containerd = exec.Command("containerd", "--address", ctrSock, "--root", filepath.Join(dir, "ctr-root"), "--state", filepath.Join(dir, "ctr-state"))
	d.containerd.Stdout, d.containerd.Stderr = &d.containerdL, &d.containerdL
	if err := d.containerd.Start(); err != nil {
		tb.Fatal(err)
	}
	waitSocket(tb, ctrSock, &d.containerdL)
	d.dockerd = exec.Command("dockerd", "--host", d.Host, "--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"), "--pidfile", filepath.Join(dir, "docker.pid"),
		"--containerd", ctrSock, "--iptables=false", "--config-file", emptyConfigFile(tb, dir))
	d.dockerd.Args = append(d.dockerd.Args, networkArgs...)
	d.dockerd.Stdout, d.dockerd.Stderr = &d.dockerdL, &d.dockerdL
	if err := d.dockerd.Start(); err != nil {
		tb.Fatal(err)
	}
	waitSocket(tb, filepath.Join(dir, "docker.sock"), &d.dockerdL)
	tb.Cleanup(d.stop)
	return d
}

func (d *dockerd) stop() {
	for _, cmd := range []*exec.Cmd{d.dockerd, d.containerd} {
		if cmd != nil && cmd.Process != nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
		}
	}
	// dockerd may leave its data root mounted; unmount before removing.
	_ = unix.Unmount(filepath.Join(d.dir, "data"), unix.MNT_DETACH)
	_ = os.RemoveAll(d.dir)
}

func waitSocket(tb testing.TB, path string, log *bytes.Buffer) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("%s did not come up; log:\n%s", path, log.String())
}

func emptyConfigFile(tb testing.TB, dir string) string {
	tb.Helper()
	path := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}
