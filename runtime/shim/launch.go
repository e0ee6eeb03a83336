package shim

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/berth/berth/atomicfile"
	"github.com/berth/berth/runtime/shim/protocol"
)

// Launch writes dir/shim.json and starts a shim for container id, whose
// bundle opts names: it returns once the shim has made the container's
// stdio and listens, so that clients can attach before Start runs the
// container (and reports the runtime's errors).
//
// The shim detaches itself: berthd waits only for a short-lived first
// process, and the shim survives berthd (it runs in its own session). If
// ctx ends first the shim may still come up: the caller should Connect and
// kill, as after any failure to start.
func Launch(ctx context.Context, shimBinary, id, dir string, opts Options) error {
	b, err := json.Marshal(opts)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, protocol.OptionsFile), b, 0o600); err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command(shimBinary, "-id", id, "-dir", dir)
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return err
	}
	waitErr := cmd.Wait() // the first process exits once the shim is detached
	line, err := readReady(ctx, r)
	switch {
	case err != nil && waitErr != nil:
		return errors.Join(errors.New("shim: "+waitErr.Error()), err)
	case err != nil:
		return err
	case line == "ok":
		return nil
	}
	msg, _ := strings.CutPrefix(line, "error: ")
	return &Error{Msg: msg}
}

// readReady reads the shim's readiness line.
func readReady(ctx context.Context, r *os.File) (string, error) {
	if d, ok := ctx.Deadline(); ok {
		r.SetReadDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { r.SetReadDeadline(time.Now()) })
	defer stop()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if line == "" {
			return "", errors.New("shim exited without reporting")
		}
	}
	return strings.TrimSuffix(line, "\n"), nil
}
