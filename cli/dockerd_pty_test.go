package cli

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth/berth/test/ptytest"
)

const ptyScript = "stty size; tty; echo tty-$((40+2))\r"

// drivePTY runs start (which runs a "run -it ... sh" on the terminal),
// types ptyScript and "exit 5", and returns the exit code and screen.
func drivePTY(t *testing.T, start func(slave *os.File) <-chan int) (int, string) {
	t.Helper()
	master, slave := ptytest.Open(t)
	var screen ptytest.Screen
	go func() { _, _ = io.Copy(&screen, master) }()
	done := start(slave)
	screen.WaitFor(t, "# ")
	_, _ = io.WriteString(master, ptyScript)
	screen.WaitFor(t, "tty-42")
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
