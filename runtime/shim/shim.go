// Package shim is berthd's side of the per-container shim (cmd/berth-shim,
// package server): Launch starts a shim for a created bundle, Connect
// reaches a running one (also after berthd restarted), and Client speaks
// the shim's socket protocol. ReadExit reads the exit file a shim leaves
// when the container ended, for boot recovery.
//
// The shim's state directory holds shim.json (Options), shim.sock, the
// runtime's init.pid and, once the container exited, the exit file.
// docs/shim.md describes the protocol.
package shim

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/berth/berth/runtime/shim/protocol"
	"github.com/containerd/errdefs"
)

// Types shared with the shim.
type (
	Options    = protocol.Options    // the content of shim.json
	LogOptions = protocol.LogOptions // the container's log driver
	State      = protocol.State      // the container as the shim sees it
	Exit       = protocol.Exit       // how and when the container exited
	ExecState  = protocol.ExecState  // an exec's process
)

// Container statuses in State.
const (
	StatusCreated = protocol.StatusCreated
	StatusRunning = protocol.StatusRunning
	StatusPaused  = protocol.StatusPaused
	StatusStopped = protocol.StatusStopped
)

// ExecRequest starts a process in a running container.
type ExecRequest struct {
	ID      string // unique among the container's execs
	Process any    // the OCI process (a *specs.Process), or its JSON as json.RawMessage
	Tty     bool   // the process gets a pty (Process.Terminal is set to match)
	Stdin   bool   // the stream's bytes are its stdin; the client's EOF closes it
	Detach  bool   // no stdio; the stream carries nothing and ends at exit
}

// ErrNotRunning says the shim is gone (its container has exited, or the
// shim was killed): ReadExit tells which.
var ErrNotRunning = errors.New("shim is not running")

// Error is an error the shim or the runtime reported. It unwraps to an
// errdefs class when the shim gave one (the container or exec in the
// wrong state: errdefs.ErrConflict; no such exec: errdefs.ErrNotFound).
type Error struct {
	Msg   string
	class error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.class }

func newError(msg, kind string) *Error {
	var class error
	switch kind {
	case protocol.KindConflict:
		class = errdefs.ErrConflict
	case protocol.KindNotFound:
		class = errdefs.ErrNotFound
	case protocol.KindInvalid:
		class = errdefs.ErrInvalidArgument
	}
	return &Error{Msg: msg, class: class}
}

// ReadExit reads the exit file at path; ok is false when there is none
// (the container has not exited, or its shim died without recording it).
func ReadExit(path string) (exit Exit, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Exit{}, false, nil
	}
	if err != nil {
		return Exit{}, false, err
	}
	if err := json.Unmarshal(b, &exit); err != nil {
		return Exit{}, false, fmt.Errorf("exit file %s: %w", path, err)
	}
	return exit, true, nil
}
