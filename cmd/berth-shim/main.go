// Command berth-shim is the per-container shim: berthd starts one per
// running container as
//
//	berth-shim -id <container id> -dir <state dir>
//
// with <state dir>/shim.json holding its options and fd 3 a readiness
// pipe. The command detaches at once (it re-executes itself in a new
// session and exits, so berthd only waits for a short-lived child and the
// shim is reparented to init); the detached shim writes "ok\n" or
// "error: <message>\n" to fd 3 once the container is created and its
// socket listens. See runtime/shim/server and docs/shim.md.
package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/berth/berth/runtime/shim/server"
	"golang.org/x/sys/unix"
)

// detachedEnv marks the re-executed, detached shim.
const detachedEnv = "_BERTH_SHIM_DETACHED"

// readyFd is the readiness pipe berthd passes.
const readyFd = 3

func main() {
	id, dir, ok := parseArgs(os.Args[1:])
	ready := readyPipe()
	if !ok {
		fail(ready, "usage: berth-shim -id <container id> -dir <state dir>")
	}
	if os.Getenv(detachedEnv) == "" {
		if err := detach(id, dir, ready); err != nil {
			fail(ready, err.Error())
		}
		os.Exit(0)
	}
	os.Unsetenv(detachedEnv)
	tuneMemory()
	if err := server.Run(id, dir, ready); err != nil {
		os.Exit(1)
	}
}

// parseArgs reads "-id ID -dir DIR" (package flag would link fmt and
// reflect, which cost the shim RSS).
func parseArgs(args []string) (id, dir string, ok bool) {
	for ; len(args) >= 2; args = args[2:] {
		switch strings.TrimPrefix(args[0], "-") {
		case "id", "-id":
			id = args[1]
		case "dir", "-dir":
			dir = args[1]
		default:
			return "", "", false
		}
	}
	return id, dir, len(args) == 0 && id != "" && dir != ""
}

// detach starts the shim again in its own session, in /, with the same
// command line (the full ID shows in ps) and fds, and returns without
// waiting for it.
func detach(id, dir string, ready *os.File) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	files := []*os.File{os.Stdin, os.Stdout, os.Stderr}
	if ready != nil {
		files = append(files, ready)
	}
	p, err := os.StartProcess(self, []string{os.Args[0], "-id", id, "-dir", abs}, &os.ProcAttr{
		Dir:   "/",
		Env:   append(os.Environ(), detachedEnv+"=1"),
		Files: files,
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return err
	}
	return p.Release()
}

// tuneMemory keeps the shim small: every running container pays for its
// RSS. It waits on I/O, so one P is enough (each P costs memory), and its
// heap is small, so collecting often costs little.
func tuneMemory() {
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(20)
}

// readyPipe is fd 3 if it is open (not run by hand), close-on-exec so the
// runtime does not inherit it.
func readyPipe() *os.File {
	if _, err := unix.FcntlInt(readyFd, unix.F_GETFD, 0); err != nil {
		return nil
	}
	unix.CloseOnExec(readyFd)
	return os.NewFile(readyFd, "ready")
}

func fail(ready *os.File, msg string) {
	if ready != nil {
		ready.WriteString("error: " + msg + "\n")
	}
	os.Stderr.WriteString("berth-shim: " + msg + "\n")
	os.Exit(2)
}
