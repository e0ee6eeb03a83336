// Package protocol names what berthd and the shim share: the shim.json
// options, the operations and responses spoken on the shim's socket, and
// the exit file. It is types and constants only: the shim links it, and
// encodes these by hand (package server), while berthd uses encoding/json.
//
// A connection carries one request: a JSON line from the client, a JSON
// line back ({"error": ...} on failure), then for attach and exec the raw
// stream. docs/shim.md describes every operation and its fields.
package protocol

import "time"

// File names in the shim's state directory.
const (
	OptionsFile = "shim.json"
	SocketFile  = "shim.sock"
	ExitFile    = "exit.json" // when Options.ExitFile is empty
)

// Options is the content of shim.json, written by berthd before it starts
// the shim.
type Options struct {
	Runtime     string     `json:"runtime"`     // the OCI runtime binary, e.g. /usr/bin/runc
	RuntimeArgs []string   `json:"runtimeArgs"` // global flags put before the subcommand
	RuntimeRoot string     `json:"runtimeRoot"` // the runtime's --root; empty: its default
	Bundle      string     `json:"bundle"`      // the OCI bundle: config.json, rootfs
	Tty         bool       `json:"tty"`
	OpenStdin   bool       `json:"openStdin"`
	StdinOnce   bool       `json:"stdinOnce"`
	Log         LogOptions `json:"log"`
	ExitFile    string     `json:"exitFile"` // where the exit is recorded; empty: <dir>/exit.json
	// CgroupPath is the bundle's linux.cgroupsPath (cgroupfs form): the
	// shim counts OOM kills there. Empty: found from the init's pid.
	CgroupPath string `json:"cgroupPath"`
}

// LogOptions select the container's log driver.
type LogOptions struct {
	Driver   string `json:"driver"`   // "json-file", "local" or "none"
	Path     string `json:"path"`     // the log file; for local, its directory is made if missing
	MaxSize  int64  `json:"maxSize"`  // bytes; 0: the logfile package default, < 0: no rotation
	MaxFiles int    `json:"maxFiles"` // 0: the logfile package default
}

// Operations.
const (
	OpStart       = "start"
	OpAttach      = "attach"
	OpResize      = "resize"
	OpKill        = "kill"
	OpPause       = "pause"
	OpResume      = "resume"
	OpState       = "state"
	OpWait        = "wait"
	OpExec        = "exec"
	OpExecState   = "exec-state"
	OpExecResize  = "exec-resize"
	MaxRequestLen = 1 << 20 // bytes in a request line
)

// Error is the response of a failed request. Kind, when set, classifies it.
type Error struct {
	Error string `json:"error"`
	Kind  string `json:"kind,omitempty"`
}

// Error kinds.
const (
	KindConflict = "conflict"  // the container or exec is in the wrong state
	KindNotFound = "not-found" // no such exec
	KindInvalid  = "invalid"   // a malformed request
)

// Container statuses in State.
const (
	StatusCreated = "created"
	StatusRunning = "running"
	StatusPaused  = "paused"
	StatusStopped = "stopped"
)

// State answers state.
type State struct {
	Pid      int       `json:"pid"`      // the container's init, as the host sees it
	Status   string    `json:"status"`   // Status*
	ExitCode int       `json:"exitCode"` // once stopped
	ExitedAt time.Time `json:"exitedAt"` // once stopped
	ShimPid  int       `json:"shimPid"`
}

// Exit answers wait and is the content of the exit file, which the shim
// writes atomically (temp file, fsync, rename) before it exits.
type Exit struct {
	ExitCode  int       `json:"exitCode"` // the status, or 128+signal
	ExitedAt  time.Time `json:"exitedAt"`
	OOMKilled bool      `json:"oomKilled"`
}

// ExecStarted answers exec, before the stream.
type ExecStarted struct {
	Pid int `json:"pid"`
}

// ExecState answers exec-state.
type ExecState struct {
	Running  bool `json:"running"`
	Pid      int  `json:"pid"`
	ExitCode int  `json:"exitCode"` // once not running
}
