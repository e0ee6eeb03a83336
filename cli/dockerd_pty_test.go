package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal of 30 rows and 100 columns.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skip("no pseudo-terminals:", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 30, Col: 100}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(); _ = s.Close() })
	return m, s
}

// ptySession types input into the terminal once the shell prompts, and
// collects what the terminal shows.
type ptySession struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (p *ptySession) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.Write(b)
}

func (p *ptySession) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

func (p *ptySession) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("terminal never showed %q; it shows %q", s, p.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const ptyScript = "stty size; tty; echo tty-$((40+2))\r"

// drivePTY runs start (which runs a "run -it ... sh" on the terminal),
// types ptyScript and "exit 5", and returns the exit code and screen.
func drivePTY(t *testing.T, start func(slave *os.File) <-chan int) (int, string) {
	t.Helper()
	master, slave := openPTY(t)
	var screen ptySession
	go func() { _, _ = io.Copy(&screen, master) }()
	done := start(slave)
	screen.waitFor(t, "# ")
	_, _ = io.WriteString(master, ptyScript)
	screen.waitFor(t, "tty-42")
	_, _ = io.WriteString(master, "exit 5\r")
	select {
	case code := <-done:
		return code, screen.String()
	case <-time.After(30 * time.Second):
		t.Fatalf("run -it did not end; the terminal shows %q", screen.String())
	}
	return 0, ""
}

func TestComparePTY(t *testing.T) {
	host := compareHost(t)
	ensureCompareImage(t, host)
	args := []string{"run", "-it", "--rm", "--network", "none", compareImage, "sh"}
	dockerCode, dockerScreen := drivePTY(t, func(slave *os.File) <-chan int {
		cmd := exec.Command("docker", append([]string{"-H", host}, args...)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		done := make(chan int, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = cmd.Wait(); done <- cmd.ProcessState.ExitCode() }()
		return done
	})
	berthCode, berthScreen := drivePTY(t, func(slave *os.File) <-chan int {
		done := make(chan int, 1)
		c := New(slave, slave, slave, func(k string) string { return map[string]string{"BERTH_HOST": host}[k] })
		go func() { done <- c.Run(t.Context(), args) }()
		return done
	})
	t.Logf("docker's terminal:\n%s\nberth's terminal:\n%s", dockerScreen, berthScreen)
	if dockerCode != 5 || berthCode != 5 {
		t.Errorf("exit codes: docker %d, berth %d; want 5", dockerCode, berthCode)
	}
	for _, want := range []string{"30 100", "/dev/pts/0", "tty-42"} {
		if !strings.Contains(berthScreen, want) {
			t.Errorf("berth's terminal lacks %q", want)
		}
		if !strings.Contains(dockerScreen, want) {
			t.Errorf("docker's terminal lacks %q", want)
		}
	}
}
