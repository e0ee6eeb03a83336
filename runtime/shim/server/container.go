package server

import (
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/berth/berth/runtime/shim/protocol"
)

// prepare makes the container's stdio before anything runs, so that
// clients can attach before the process starts: pipes, or a console
// socket on which the runtime will send the master of the pty it makes.
func (s *shim) prepare() error {
	if !s.opts.Tty {
		var err error
		s.io, s.child, err = newPipes(s.opts.OpenStdin)
		return err
	}
	console, err := newConsoleSocket(filepath.Join(s.dir, "pty.sock"))
	if err != nil {
		return err
	}
	s.console, s.io = console, newConsoleIO()
	return nil
}

// ready marks the shim ready to start the container.
func (s *shim) ready() {
	s.mu.Lock()
	s.status = protocol.StatusCreated
	s.mu.Unlock()
}

// run creates and starts the container in one runtime call ("run
// --detach": one runtime process instead of create and start, which is
// most of a start's cost), then copies its output and watches its exit.
// On failure the runtime has cleaned up after itself.
func (s *shim) run() error {
	pidFile := filepath.Join(s.dir, "init.pid")
	consolePath := ""
	if s.console != nil {
		consolePath = s.console.path
	}
	err := s.rt.runDetached(s.id, s.opts.Bundle, pidFile, consolePath, s.child)
	closeAll(s.child[:])
	if err == nil && s.console != nil {
		var master *os.File
		if master, err = s.console.receive(); err == nil {
			s.io.setConsole(master)
		}
	}
	if s.console != nil {
		s.console.close()
	}
	var pid int
	if err == nil {
		if pid, err = readPid(pidFile); err != nil {
			s.rt.delete(s.id)
		}
	}
	if err != nil {
		s.io.closeFiles()
		return err
	}
	oom := newOOMCounter(s.opts.CgroupPath, pid)
	s.mu.Lock()
	s.pid, s.status = pid, protocol.StatusRunning
	s.mu.Unlock()
	s.io.log = s.log
	s.io.start()
	go s.monitor(s.reap.watch(pid), oom)
	return nil
}

// monitor waits for the container's init to exit, then winds down: the
// output is drained and logged, the runtime forgets the container, the
// exit is recorded, waiters are answered and attached streams end.
func (s *shim) monitor(exit <-chan int, oom *oomCounter) {
	code := <-exit
	e := protocol.Exit{ExitCode: code, ExitedAt: time.Now().UTC()}
	s.mu.Lock()
	s.exiting = true
	s.mu.Unlock()
	s.io.drain(drainTimeout)
	s.closeLog()
	e.OOMKilled = oom.killed()
	s.rt.delete(s.id)
	s.finish(&e)
}

// finish records the exit (nil: none, the container never ran), answers
// waiters, ends attached streams and lets the shim exit.
func (s *shim) finish(e *protocol.Exit) {
	if e != nil {
		writeExit(s.exitFile, *e)
	}
	s.mu.Lock()
	s.status = protocol.StatusStopped
	if e != nil {
		s.exit = *e
	}
	s.mu.Unlock()
	close(s.exited)
	s.io.hangup()
}

func (s *shim) state() protocol.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return protocol.State{Pid: s.pid, Status: s.status, ExitCode: s.exit.ExitCode, ExitedAt: s.exit.ExitedAt, ShimPid: os.Getpid()}
}

// getStatus is the status to check a request against: stopped as soon as
// the init has exited.
func (s *shim) getStatus() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exiting {
		return protocol.StatusStopped
	}
	return s.status
}

// setStatus moves from one status to another, unless the container
// stopped meanwhile.
func (s *shim) setStatus(from, to string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status == from {
		s.status = to
	}
}

// start runs the container. After a failure the shim goes away, as the
// runtime left nothing to serve.
func (s *shim) start() error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	if st := s.getStatus(); st != protocol.StatusCreated {
		return conflict("container is " + st + ", not created")
	}
	if err := s.run(); err != nil {
		s.finish(nil)
		return err
	}
	return nil
}

// kill signals the container's processes.
func (s *shim) kill(sig int, all bool) error {
	if s.abandon(sig) {
		return nil
	}
	st := s.getStatus()
	if st == protocol.StatusStopped {
		return conflict("container is not running")
	}
	if err := s.rt.kill(s.id, sig, all); err != nil {
		return err
	}
	if st == protocol.StatusPaused && syscall.Signal(sig) == syscall.SIGKILL {
		s.resume() // a frozen process dies once thawed
	}
	return nil
}

// abandon ends a shim whose container was never started (nothing runs
// yet): it records the exit sig would have caused and goes away. False if
// the container was started.
func (s *shim) abandon(sig int) bool {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	if s.getStatus() != protocol.StatusCreated {
		return false
	}
	closeAll(s.child[:])
	s.io.closeFiles()
	if s.console != nil {
		s.console.close()
	}
	s.finish(&protocol.Exit{ExitCode: 128 + sig, ExitedAt: time.Now().UTC()})
	return true
}

func (s *shim) pause() error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	if st := s.getStatus(); st != protocol.StatusRunning {
		return conflict("container is " + st + ", not running")
	}
	if err := s.rt.pause(s.id); err != nil {
		return err
	}
	s.setStatus(protocol.StatusRunning, protocol.StatusPaused)
	return nil
}

func (s *shim) resume() error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	if st := s.getStatus(); st != protocol.StatusPaused {
		return conflict("container is " + st + ", not paused")
	}
	if err := s.rt.resume(s.id); err != nil {
		return err
	}
	s.setStatus(protocol.StatusPaused, protocol.StatusRunning)
	return nil
}

func (s *shim) resize(height, width uint) error {
	if !s.io.tty() {
		return invalid("container has no tty")
	}
	return s.io.resize(height, width)
}

// wait blocks until the exit is recorded.
func (s *shim) wait() protocol.Exit {
	<-s.exited
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exit
}
