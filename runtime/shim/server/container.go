package server

import (
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/berth/berth/runtime/shim/protocol"
)

// create runs the runtime's create with the container's stdio: pipes, or
// a pty whose master the runtime sends to a console socket.
func (s *shim) create() error {
	var child [3]*os.File
	var console *consoleSocket
	var consolePath string
	var err error
	if s.opts.Tty {
		consolePath = filepath.Join(s.dir, "pty.sock")
		if console, err = newConsoleSocket(consolePath); err != nil {
			return err
		}
		defer console.close()
	} else if s.io, child, err = newPipes(s.opts.OpenStdin); err != nil {
		return err
	}
	pidFile := filepath.Join(s.dir, "init.pid")
	err = s.rt.create(s.id, s.opts.Bundle, pidFile, consolePath, child)
	closeAll(child[:])
	if err != nil { // the runtime cleaned up after itself
		if s.io != nil {
			s.io.closeFiles()
		}
		return err
	}
	pid, err := s.finishCreate(console, pidFile)
	if err != nil {
		if s.io != nil {
			s.io.closeFiles()
		}
		s.rt.delete(s.id)
		return err
	}
	s.pid, s.status = pid, protocol.StatusCreated
	s.io.log = s.log
	s.io.start()
	go s.monitor(s.reap.watch(pid), newOOMCounter(pid))
	return nil
}

// finishCreate takes the pty master (with a tty) and the init's pid.
func (s *shim) finishCreate(console *consoleSocket, pidFile string) (int, error) {
	if console != nil {
		master, err := console.receive()
		if err != nil {
			return 0, err
		}
		s.io = newConsoleIO(master)
	}
	return readPid(pidFile)
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
	writeExit(s.exitFile, e)
	s.mu.Lock()
	s.status, s.exit = protocol.StatusStopped, e
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

func (s *shim) start() error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	if st := s.getStatus(); st != protocol.StatusCreated {
		return conflict("container is " + st + ", not created")
	}
	if err := s.rt.start(s.id); err != nil {
		return err
	}
	s.setStatus(protocol.StatusCreated, protocol.StatusRunning)
	return nil
}

func (s *shim) kill(sig int, all bool) error {
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
	return resize(s.io.console, height, width)
}

// wait blocks until the exit is recorded.
func (s *shim) wait() protocol.Exit {
	<-s.exited
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exit
}
