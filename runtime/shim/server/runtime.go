package server

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// runtime drives the OCI runtime (runc, or one with its CLI) through its
// command line, as containerd does.
type runtime struct {
	bin     string
	args    []string // global flags
	root    string
	tempDir string // for the runtime's log of each call
	reap    *reaper
	null    *os.File
}

// run runs one runtime command with stdio as its fds 0-2 (nil: /dev/null)
// and waits for it. A failure carries the runtime's own error message.
func (rt *runtime) run(stdio [3]*os.File, args ...string) error {
	logf, err := os.CreateTemp(rt.tempDir, "runtime-*.log")
	if err != nil {
		return err
	}
	logf.Close()
	defer os.Remove(logf.Name())
	argv := append([]string{rt.bin}, rt.args...)
	if rt.root != "" {
		argv = append(argv, "--root", rt.root)
	}
	argv = append(argv, "--log", logf.Name(), "--log-format", "json")
	argv = append(argv, args...)
	files := make([]*os.File, 3)
	for i, f := range stdio {
		files[i] = f
		if f == nil {
			files[i] = rt.null
		}
	}
	exit, err := rt.reap.start(argv, files)
	if err != nil {
		return err
	}
	if code := <-exit; code != 0 {
		return runtimeError(logf.Name(), filepath.Base(rt.bin)+" "+args[0], code)
	}
	return nil
}

// runtimeError is the last error the runtime logged (its stderr belongs to
// the container, so it logs to a file in JSON).
func runtimeError(logPath, what string, code int) error {
	b, _ := os.ReadFile(logPath)
	var msg string
	for _, line := range bytes.Split(b, []byte("\n")) {
		e, err := parseObject(line)
		if err != nil {
			continue
		}
		level, _ := jsonString(e["level"])
		if m, _ := jsonString(e["msg"]); m != "" && (level == "error" || level == "fatal") {
			msg = m
		}
	}
	if msg == "" {
		msg = what + ": exit status " + strconv.Itoa(code)
	}
	return errors.New(strings.TrimSpace(msg))
}

// runDetached creates and starts the container and returns once its
// process runs. A failure reads as the runtime's create failure ("runc
// create failed: ..."), which is what it is and what Docker users see.
func (rt *runtime) runDetached(id, bundle, pidFile, consoleSocket string, stdio [3]*os.File) error {
	args := []string{"run", "--detach", "--bundle", bundle, "--pid-file", pidFile}
	if consoleSocket != "" {
		args = append(args, "--console-socket", consoleSocket)
	}
	err := rt.run(stdio, append(args, id)...)
	if err != nil {
		name := filepath.Base(rt.bin)
		if msg, ok := strings.CutPrefix(err.Error(), name+" run failed: "); ok {
			return errors.New(name + " create failed: " + msg)
		}
	}
	return err
}

// exec starts a process in the container and returns once it runs
// (--detach): the shim, as subreaper, reaps it.
func (rt *runtime) exec(id, processFile, pidFile, consoleSocket string, stdio [3]*os.File) error {
	args := []string{"exec", "--detach", "--process", processFile, "--pid-file", pidFile}
	if consoleSocket != "" {
		args = append(args, "--console-socket", consoleSocket)
	}
	return rt.run(stdio, append(args, id)...)
}

func (rt *runtime) pause(id string) error  { return rt.run([3]*os.File{}, "pause", id) }
func (rt *runtime) resume(id string) error { return rt.run([3]*os.File{}, "resume", id) }
func (rt *runtime) delete(id string) error { return rt.run([3]*os.File{}, "delete", "--force", id) }

func (rt *runtime) kill(id string, sig int, all bool) error {
	args := []string{"kill"}
	if all {
		args = append(args, "--all")
	}
	return rt.run([3]*os.File{}, append(args, id, strconv.Itoa(sig))...)
}

// readPid reads a pid file the runtime wrote.
func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
