package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/berth/berth/container"
	"github.com/berth/berth/runtime/shim"
	"github.com/berth/berth/runtime/spec"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// execInstance is one exec: created, then started once.
type execInstance struct {
	ID          string
	ContainerID string
	Config      containertypes.ExecCreateRequest
	process     *specs.Process

	// mu guards the run state below.
	mu       sync.Mutex
	started  bool
	running  bool
	pid      int
	exitCode *int
}

// execs indexes exec instances by ID; they live as long as the daemon.
type execs struct {
	mu   sync.Mutex
	byID map[string]*execInstance
}

func (e *execs) get(id string) (*execInstance, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ex, ok := e.byID[id]; ok {
		return ex, nil
	}
	return nil, errdefs.ErrNotFound.WithMessage("No such exec instance: " + id)
}

// ExecCreate prepares a process to run in a running container, as
// POST /containers/{id}/exec.
func (cs *Containers) ExecCreate(ctx context.Context, ref string, req containertypes.ExecCreateRequest) (string, error) {
	if len(req.Cmd) == 0 {
		return "", errdefs.ErrInvalidArgument.WithMessage("No exec command specified")
	}
	c, err := cs.store.Get(ref)
	if err != nil {
		return "", err
	}
	c.Lock()
	status, id := c.State.Status, c.ID
	c.Unlock()
	switch status {
	case containertypes.StatePaused:
		return "", errdefs.ErrConflict.WithMessage(fmt.Sprintf("Container %s is paused, unpause the container before exec", id))
	case containertypes.StateRestarting:
		return "", errdefs.ErrConflict.WithMessage(fmt.Sprintf("Container %s is restarting, wait until the container is running", id))
	case containertypes.StateRunning:
	default:
		return "", errdefs.ErrConflict.WithMessage(fmt.Sprintf("Container %s is not running", id))
	}
	base, err := readSpec(filepath.Join(cs.stateDir(id), "config.json"))
	if err != nil {
		return "", err
	}
	proc, err := spec.ExecProcess(base, base.Root.Path, req)
	if err != nil {
		return "", err
	}
	ex := &execInstance{ID: container.GenerateID(), ContainerID: id, Config: req, process: proc}
	cs.execs.mu.Lock()
	cs.execs.byID[ex.ID] = ex
	cs.execs.mu.Unlock()
	cs.publish(c, execAction(eventtypes.ActionExecCreate, req.Cmd), map[string]string{"execID": ex.ID})
	return ex.ID, nil
}

// execAction is the action of an exec event as Docker words it:
// "exec_start: " + the command and its arguments, each after a space.
func execAction(action eventtypes.Action, cmd []string) eventtypes.Action {
	return eventtypes.Action(string(action) + ": " + cmd[0] + " " + strings.Join(cmd[1:], " "))
}

func readSpec(path string) (*specs.Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s specs.Spec
	return &s, json.Unmarshal(b, &s)
}

// ExecStartOptions are the body of POST /exec/{id}/start.
type ExecStartOptions struct {
	Detach      bool
	ConsoleSize *[2]uint
}

// ExecStart runs the exec. Detached, it returns once the process started;
// attached, it relays the process's stdio over the hijacked connection
// until the process ends.
func (cs *Containers) ExecStart(ctx context.Context, execID string, opts ExecStartOptions, hijack Hijack) error {
	ex, err := cs.execs.get(execID)
	if err != nil {
		return err
	}
	ex.mu.Lock()
	if ex.started {
		ex.mu.Unlock()
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("Error: Exec command %s has already run", execID))
	}
	ex.started, ex.running = true, true
	ex.mu.Unlock()
	c, err := cs.store.Get(ex.ContainerID)
	if err != nil {
		return err
	}
	lc, err := cs.liveOf(c)
	if err != nil {
		return err
	}
	cfg := ex.Config
	if opts.ConsoleSize != nil {
		ex.process.ConsoleSize = &specs.Box{Height: opts.ConsoleSize[0], Width: opts.ConsoleSize[1]}
	}
	req := shim.ExecRequest{ID: ex.ID, Process: ex.process, Tty: cfg.Tty, Stdin: cfg.AttachStdin, Detach: opts.Detach}
	cs.publish(c, execAction(eventtypes.ActionExecStart, cfg.Cmd), map[string]string{"execID": ex.ID})
	if opts.Detach {
		sc, err := lc.shim.Exec(ctx, req)
		if err != nil {
			return err
		}
		go cs.awaitExec(c, lc, ex, sc)
		return nil
	}
	keys, err := parseDetachKeys(cfg.DetachKeys)
	if err != nil {
		return err
	}
	conn, err := hijack(cfg.Tty)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The request context may end when the client half-closes its side;
	// the exec goes on.
	ctx = context.WithoutCancel(ctx)
	sc, err := lc.shim.Exec(ctx, req)
	if err != nil {
		// As Docker: the failure goes to the client's stdout stream and
		// decides the exit code (127 not found, 126 not executable).
		msg := []byte("OCI runtime exec failed: " + err.Error() + ": unknown\r\n")
		if !cfg.Tty {
			msg = append(frameHeader(1, len(msg)), msg...)
		}
		_, _ = conn.Write(msg)
		code := exitCodeOf(err)
		ex.mu.Lock()
		ex.running, ex.exitCode = false, &code
		ex.mu.Unlock()
		return nil
	}
	relay(conn, sc, cfg.AttachStdin, keys)
	cs.finishExec(ctx, c, lc, ex)
	return nil
}

// awaitExec drains a detached exec's stream and records its end.
func (cs *Containers) awaitExec(c *container.Container, lc *liveContainer, ex *execInstance, sc net.Conn) {
	_, _ = io.Copy(io.Discard, sc)
	sc.Close()
	cs.finishExec(context.Background(), c, lc, ex)
}

func (cs *Containers) finishExec(ctx context.Context, c *container.Container, lc *liveContainer, ex *execInstance) {
	st, err := lc.shim.ExecState(ctx, ex.ID)
	code := 126
	if err == nil {
		code = st.ExitCode
	}
	ex.mu.Lock()
	ex.running, ex.exitCode = false, &code
	if err == nil {
		ex.pid = st.Pid
	}
	ex.mu.Unlock()
	cs.publish(c, eventtypes.ActionExecDie, map[string]string{"execID": ex.ID, "exitCode": fmt.Sprint(code)})
}

// ExecInspect answers GET /exec/{id}/json.
func (cs *Containers) ExecInspect(ctx context.Context, execID string) (containertypes.ExecInspectResponse, error) {
	ex, err := cs.execs.get(execID)
	if err != nil {
		return containertypes.ExecInspectResponse{}, err
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	cfg := ex.Config
	var entry string
	var args []string
	if len(cfg.Cmd) > 0 {
		entry, args = cfg.Cmd[0], cfg.Cmd[1:]
	}
	privileged := cfg.Privileged
	return containertypes.ExecInspectResponse{
		ID: ex.ID, Running: ex.running, ExitCode: ex.exitCode, ContainerID: ex.ContainerID, Pid: ex.pid,
		OpenStdin: cfg.AttachStdin, OpenStdout: cfg.AttachStdout, OpenStderr: cfg.AttachStderr,
		ProcessConfig: &containertypes.ExecProcessConfig{Tty: cfg.Tty, Entrypoint: entry, Arguments: nonNil(args), Privileged: &privileged, User: cfg.User},
	}, nil
}

// ExecResize sets the size of an exec's terminal.
func (cs *Containers) ExecResize(ctx context.Context, execID string, height, width uint) error {
	ex, err := cs.execs.get(execID)
	if err != nil {
		return err
	}
	c, err := cs.store.Get(ex.ContainerID)
	if err != nil {
		return err
	}
	lc, err := cs.liveOf(c)
	if err != nil {
		return err
	}
	return lc.shim.ExecResize(ctx, execID, height, width)
}
