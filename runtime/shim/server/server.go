// Package server is the per-container shim (cmd/berth-shim): one small
// process per container that runs it through the OCI runtime's CLI, is the
// child subreaper of its processes, owns its stdio and log, serves clients
// (berthd) on a unix socket and records the exit in a file before it
// exits. berthd can crash or restart meanwhile: the container keeps
// running and logging.
//
// The shim keeps its memory small, as every running container pays for it:
// no package net (see sock.go), no logging library, few goroutines.
// docs/shim.md describes the process model and the socket protocol.
package server

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/berth/berth/logs/logfile"
	"github.com/berth/berth/runtime/shim/protocol"
	"golang.org/x/sys/unix"
)

// Timeouts of the shim's end.
const (
	drainTimeout    = 2 * time.Second // output still open after the process exited
	handlersTimeout = 2 * time.Second // requests still being answered at exit
	// startTimeout bounds the wait for start: a shim whose berthd died
	// between launch and start would otherwise wait forever.
	startTimeout = time.Minute
)

// shim serves one container.
type shim struct {
	id, dir  string
	opts     protocol.Options
	exitFile string
	rt       *runtime
	reap     *reaper
	log      logfile.Writer // nil with the none driver
	io       *procIO
	child    [3]*os.File    // the process's ends of its pipes, until it runs
	console  *consoleSocket // with a tty, until the runtime sent the master
	exited   chan struct{}  // closed once the exit is recorded
	handlers sync.WaitGroup
	opMu     sync.Mutex // serialises start, pause and resume

	mu      sync.Mutex // guards the fields below
	status  string
	exiting bool // the init has exited; status says stopped once that is recorded
	pid     int
	exit    protocol.Exit
	execs   map[string]*execProc
	execSeq int
}

// Run is the shim's life: it prepares the container's stdio and listens,
// reports on ready ("ok\n" or "error: <message>\n"), then serves (start
// runs the container) until the container exited. ready may be nil.
func Run(id, dir string, ready io.Writer) error {
	s, l, err := setup(id, dir)
	if err != nil {
		report(ready, "error: "+oneLine(err.Error()))
		return err
	}
	report(ready, "ok")
	go s.serve(l)
	expire := time.AfterFunc(startTimeout, func() { s.abandon(int(unix.SIGKILL)) })
	<-s.exited
	expire.Stop()
	l.close()
	os.Remove(filepath.Join(dir, protocol.SocketFile))
	s.waitHandlers()
	return nil
}

// setup prepares the shim and the container's stdio, and listens.
func setup(id, dir string) (*shim, *listener, error) {
	s, err := newShim(id, dir)
	if err != nil {
		return nil, nil, err
	}
	l, err := listen(filepath.Join(dir, protocol.SocketFile))
	if err != nil {
		s.closeLog()
		return nil, nil, err
	}
	if err := s.prepare(); err != nil {
		l.close()
		os.Remove(filepath.Join(dir, protocol.SocketFile))
		s.closeLog()
		return nil, nil, err
	}
	s.ready()
	return s, l, nil
}

func newShim(id, dir string) (*shim, error) {
	b, err := os.ReadFile(filepath.Join(dir, protocol.OptionsFile))
	if err != nil {
		return nil, err
	}
	opts, err := decodeOptions(b)
	if err != nil {
		return nil, errors.New(protocol.OptionsFile + ": " + err.Error())
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, err
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	s := &shim{id: id, dir: dir, opts: opts, exitFile: opts.ExitFile, exited: make(chan struct{}), execs: map[string]*execProc{}}
	if s.exitFile == "" {
		s.exitFile = filepath.Join(dir, protocol.ExitFile)
	}
	s.reap = newReaper()
	s.rt = &runtime{bin: opts.Runtime, args: opts.RuntimeArgs, root: opts.RuntimeRoot, tempDir: dir, reap: s.reap, null: null}
	if err := s.openLog(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *shim) openLog() error {
	o := s.opts.Log
	cfg := logfile.Config{MaxSize: o.MaxSize, MaxFiles: o.MaxFiles}
	switch o.Driver {
	case "", "none":
		return nil
	case "json-file":
		f, err := logfile.OpenJSON(o.Path, cfg)
		if err != nil {
			return err
		}
		s.log = f
		return nil
	case "local":
		if err := os.MkdirAll(filepath.Dir(o.Path), 0o700); err != nil {
			return err
		}
		f, err := logfile.OpenLocal(o.Path, cfg)
		if err != nil {
			return err
		}
		s.log = f
		return nil
	}
	return errors.New("unsupported log driver " + o.Driver)
}

func (s *shim) closeLog() {
	if s.log != nil {
		s.log.Close()
	}
}

// report writes one line to the readiness pipe and closes it.
func report(ready io.Writer, line string) {
	if ready == nil {
		return
	}
	ready.Write([]byte(line + "\n"))
	if c, ok := ready.(io.Closer); ok {
		c.Close()
	}
}

func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}

// waitHandlers gives requests in flight (waiters getting the exit) a moment.
func (s *shim) waitHandlers() {
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(handlersTimeout):
	}
}
