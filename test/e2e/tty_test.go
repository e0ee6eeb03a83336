package e2e

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth/berth/test/ptytest"
)

// onTerminal runs a CLI with a pseudo-terminal as its controlling terminal.
func onTerminal(t *testing.T, d *daemon, c string, args ...string) (master *os.File, out *ptytest.Screen, done <-chan int) {
	t.Helper()
	master, slave := ptytest.Open(t)
	bin := "docker"
	if c == "berth" {
		bin = filepath.Join(binDir, "berth")
	}
	cmd := exec.Command(bin, append([]string{"-H", d.Host}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out = &ptytest.Screen{}
	go func() { _, _ = io.Copy(out, master) }()
	ch := make(chan int, 1)
	go func() { _ = cmd.Wait(); ch <- cmd.ProcessState.ExitCode() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return master, out, ch
}

func waitExit(t *testing.T, done <-chan int, out *ptytest.Screen) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("the CLI did not end; the terminal shows %q", out.String())
	}
	return -1
}

func TestRunInteractiveTTY(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			master, out, done := onTerminal(t, d, c, "run", "-it", "--rm", img, "sh")
			out.WaitFor(t, "# ")
			_, _ = io.WriteString(master, "stty size; tty; echo tty-$((40+2))\r")
			out.WaitFor(t, "tty-42")
			_, _ = io.WriteString(master, "exit 5\r")
			if code := waitExit(t, done, out); code != 5 {
				t.Errorf("exit code %d, want 5; terminal: %q", code, out.String())
			}
			for _, want := range []string{"30 100", "/dev/pts/0"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("terminal lacks %q: %q", want, out.String())
				}
			}
		})
	}
}

func TestDetachKeysAndAttach(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			name := "detach-" + c
			master, out, done := onTerminal(t, d, c, "run", "-it", "--name", name, img, "sh")
			out.WaitFor(t, "# ")
			_, _ = master.Write([]byte{16, 17}) // ctrl-p ctrl-q
			waitExit(t, done, out)
			if st := inspectField(t, d, c, name, "{{.State.Status}}"); st != "running" {
				t.Fatalf("after detach: %s", st)
			}
			master, out, done = onTerminal(t, d, c, "attach", name)
			_, _ = io.WriteString(master, "echo again-$((1+1))\r")
			out.WaitFor(t, "again-2")
			_, _ = io.WriteString(master, "exit 2\r")
			if code := waitExit(t, done, out); code != 2 {
				t.Errorf("attach exit %d; terminal %q", code, out.String())
			}
			must(t, d.cli(c, "rm", name))
		})
	}
}

func TestInitReapsZombies(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	// An orphan whose parent exits is reparented to PID 1. Here PID 1 ends
	// up being `sleep` (exec'd), which never reaps: without an init the
	// orphan stays a zombie; with --init, tini reaps it.
	script := "sh -c 'sleep 0.1 &'; exec sleep 100"
	zombies := func(name string) string {
		time.Sleep(600 * time.Millisecond)
		return strings.TrimSpace(must(t, d.docker("exec", name, "sh", "-c", "cat /proc/[0-9]*/status | grep -c '^State:.*Z' || true")))
	}
	must(t, d.docker("run", "-d", "--name", "with-init", "--init", img, "sh", "-c", script))
	must(t, d.docker("run", "-d", "--name", "without-init", img, "sh", "-c", script))
	if n := zombies("with-init"); n != "0" {
		t.Errorf("zombies with --init: %s", n)
	}
	if n := zombies("without-init"); n == "0" {
		t.Errorf("no zombie without --init: the check above proves nothing")
	}
	if pid1 := must(t, d.docker("exec", "with-init", "cat", "/proc/1/cmdline")); !strings.HasPrefix(pid1, "/sbin/docker-init") {
		t.Errorf("pid 1 with --init: %q", pid1)
	}
	must(t, d.docker("rm", "-f", "with-init", "without-init"))
}
