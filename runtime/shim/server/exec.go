package server

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"

	"github.com/berth/berth/runtime/shim/protocol"
	"golang.org/x/sys/unix"
)

// execProc is a process run in the container with exec.
type execProc struct {
	// guarded by shim.mu
	io       *procIO // nil for a detached process without a tty
	pid      int
	running  bool
	exitCode int
}

// exec runs req.Process in the container. The response carries its pid;
// then, unless detached, its output goes to conn (framed without a tty) and
// conn's bytes to its stdin. conn is closed when the process has exited
// and its output is drained.
func (s *shim) exec(conn *os.File, br *bufio.Reader, req request) {
	e, n, err := s.newExec(req.id)
	if err == nil {
		err = s.startExec(e, n, req)
	}
	if err != nil {
		s.dropExec(req.id, e)
		reply(conn, nil, err)
		conn.Close()
		return
	}
	s.mu.Lock()
	pid := e.pid // e.io and e.pid are set: only this goroutine wrote them
	s.mu.Unlock()
	var a *attachment
	if !req.detach {
		a = newAttachment(conn, true, true, !req.tty)
		e.io.attach(a)
	}
	exit := s.reap.watch(pid)
	reply(conn, newJSONWriter().int("pid", pid).bytes(), nil) // a client gone is detached at the first write
	if e.io != nil {
		e.io.start()
	}
	go s.awaitExec(e, exit, conn)
	withStdin := req.stdin && !req.detach
	if readInput(br, e.io, withStdin) == nil && withStdin {
		e.io.closeStdin()
	}
}

// newExec reserves id; exec needs a running container.
func (s *shim) newExec(id string) (*execProc, int, error) {
	status := s.getStatus()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case id == "":
		return nil, 0, invalid("exec without id")
	case status == protocol.StatusPaused:
		return nil, 0, conflict("container is paused, unpause the container before exec")
	case status != protocol.StatusRunning:
		return nil, 0, conflict("container is not running")
	case s.execs[id] != nil:
		return nil, 0, conflict("exec " + id + " already exists")
	}
	e := &execProc{}
	s.execs[id] = e
	s.execSeq++
	return e, s.execSeq, nil
}

func (s *shim) dropExec(id string, e *execProc) {
	if e == nil {
		return
	}
	s.mu.Lock()
	delete(s.execs, id)
	s.mu.Unlock()
}

// startExec runs the runtime's exec with the process's stdio.
func (s *shim) startExec(e *execProc, n int, req request) error {
	base := filepath.Join(s.dir, "exec-"+strconv.Itoa(n))
	procFile, pidFile := base+".json", base+".pid"
	defer os.Remove(procFile)
	defer os.Remove(pidFile)
	if err := writeProcess(procFile, req.process, req.tty); err != nil {
		return err
	}
	var pio *procIO
	var child [3]*os.File
	var console *consoleSocket
	var consolePath string
	var err error
	if req.tty {
		consolePath = base + ".sock"
		if console, err = newConsoleSocket(consolePath); err != nil {
			return err
		}
		defer console.close()
	} else if !req.detach {
		if pio, child, err = newPipes(req.stdin); err != nil {
			return err
		}
	}
	err = s.rt.exec(s.id, procFile, pidFile, consolePath, child)
	closeAll(child[:])
	if err != nil {
		if pio != nil {
			pio.closeFiles()
		}
		return err
	}
	pid, err := readPid(pidFile)
	if err == nil && console != nil {
		var master *os.File
		if master, err = console.receive(); err == nil {
			pio = newConsoleIO()
			pio.setConsole(master)
		}
	}
	if err != nil { // the process runs, but without its stdio
		if pid > 0 {
			unix.Kill(pid, unix.SIGKILL)
		}
		if pio != nil {
			pio.closeFiles()
		}
		return err
	}
	s.mu.Lock()
	e.io, e.pid, e.running = pio, pid, true
	s.mu.Unlock()
	return nil
}

// writeProcess writes the OCI process for the runtime, its terminal flag
// set to tty.
func writeProcess(path string, process []byte, tty bool) error {
	b, err := setTerminal(process, tty)
	if err != nil {
		return invalid("exec: bad process: " + err.Error())
	}
	return os.WriteFile(path, b, 0o600)
}

// awaitExec records the process's exit once its output is drained, then
// ends the stream.
func (s *shim) awaitExec(e *execProc, exit <-chan int, conn *os.File) {
	code := <-exit
	if e.io != nil {
		e.io.drain(drainTimeout)
	}
	s.mu.Lock()
	e.running, e.exitCode = false, code
	s.mu.Unlock()
	if e.io != nil {
		e.io.hangup()
	}
	conn.Close()
}

func (s *shim) execState(id string) (protocol.ExecState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.execs[id]
	if e == nil {
		return protocol.ExecState{}, notFound("no such exec: " + id)
	}
	return protocol.ExecState{Running: e.running, Pid: e.pid, ExitCode: e.exitCode}, nil
}

func (s *shim) execResize(id string, height, width uint) error {
	s.mu.Lock()
	e := s.execs[id]
	var pio *procIO
	if e != nil {
		pio = e.io
	}
	s.mu.Unlock()
	if e == nil {
		return notFound("no such exec: " + id)
	}
	if pio == nil || !pio.tty() {
		return invalid("exec " + id + " has no tty")
	}
	return pio.resize(height, width)
}
