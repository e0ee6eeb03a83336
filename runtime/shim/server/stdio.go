package server

import (
	"os"
	"sync"
	"time"

	"github.com/berth/berth/logs/logfile"
	"golang.org/x/sys/unix"
)

// Stream numbers, as in Docker's stream framing.
const (
	streamStdout = 1
	streamStderr = 2
)

// procIO is the shim's side of one process's stdio: the write end of its
// stdin pipe and the read ends of its stdout and stderr pipes, or the
// master of its pty. Output is copied to the log (if any) and to every
// attached client; stdin comes from attached clients.
type procIO struct {
	isTTY   bool
	console *os.File // the pty master, once the runtime sent it
	outs    []output
	log     logfile.Writer // nil: output is not logged
	ready   chan struct{}  // closed once stdin can be written (a tty's master arrived)
	size    *unix.Winsize  // a resize asked for before the master arrived

	copying sync.WaitGroup
	drained chan struct{} // closed when every output reached EOF

	mu     sync.Mutex    // guards the fields below
	stdin  *os.File      // nil once closed, or without stdin
	subs   []*attachment // attached clients
	closed bool          // no more attachments
}

type output struct {
	f      *os.File
	stream byte
}

// newPipes makes stdio pipes; child holds the process's ends (stdin is
// /dev/null unless withStdin), which the caller closes once the process
// has them.
func newPipes(withStdin bool) (p *procIO, child [3]*os.File, err error) {
	p = &procIO{drained: make(chan struct{}), ready: make(chan struct{})}
	close(p.ready)
	defer func() {
		if err != nil {
			p.closeFiles()
			closeAll(child[:])
		}
	}()
	if withStdin {
		if child[0], p.stdin, err = os.Pipe(); err != nil {
			return nil, child, err
		}
	}
	for i, stream := range []byte{streamStdout, streamStderr} {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, child, err
		}
		child[i+1] = w
		p.outs = append(p.outs, output{r, stream})
	}
	return p, child, nil
}

// newConsoleIO is the stdio of a process with a pty: everything goes
// through the master (set once the runtime sent it), output as stdout.
func newConsoleIO() *procIO {
	return &procIO{isTTY: true, drained: make(chan struct{}), ready: make(chan struct{})}
}

// setConsole takes the pty master, with the size asked for meanwhile;
// call it before start.
func (p *procIO) setConsole(master *os.File) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.console, p.stdin = master, master
	p.outs = []output{{master, streamStdout}}
	close(p.ready)
	if p.size != nil {
		setWinsize(master, p.size)
	}
}

// resize sets the pty's size, or keeps it for when the master arrives.
func (p *procIO) resize(height, width uint) error {
	ws := &unix.Winsize{Row: uint16(height), Col: uint16(width)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.console == nil {
		p.size = ws
		return nil
	}
	return setWinsize(p.console, ws)
}

func (p *procIO) tty() bool { return p.isTTY }

// start begins copying output.
func (p *procIO) start() {
	for _, o := range p.outs {
		p.copying.Add(1)
		go p.copyOut(o)
	}
	go func() {
		p.copying.Wait()
		close(p.drained)
	}()
}

// copyOut copies one output until EOF (EIO for a pty whose other side is
// closed). Writes block while an attached client is slow, as in Docker.
func (p *procIO) copyOut(o output) {
	defer p.copying.Done()
	var lw *logfile.LineWriter
	if p.log != nil {
		lw = logfile.NewLineWriter(p.log, streamName(o.stream))
	}
	buf := make([]byte, 32<<10)
	var subs []*attachment
	for {
		n, err := o.f.Read(buf)
		if n > 0 {
			if lw != nil {
				lw.Write(buf[:n]) // a full disk loses log lines, not output
			}
			subs = p.broadcast(subs[:0], o.stream, buf[:n])
		}
		if err != nil {
			break
		}
	}
	if lw != nil {
		lw.Flush()
	}
}

func streamName(stream byte) string {
	if stream == streamStderr {
		return logfile.Stderr
	}
	return logfile.Stdout
}

// broadcast writes b to every client attached to stream; scratch is
// reused between calls.
func (p *procIO) broadcast(scratch []*attachment, stream byte, b []byte) []*attachment {
	p.mu.Lock()
	scratch = append(scratch, p.subs...)
	p.mu.Unlock()
	for _, a := range scratch {
		if a.wants(stream) && a.write(stream, b) != nil {
			p.detach(a)
		}
	}
	return scratch
}

// attach adds a client; false once the process's output has ended.
func (p *procIO) attach(a *attachment) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.subs = append(p.subs, a)
	return true
}

// detach removes a client and closes its connection.
func (p *procIO) detach(a *attachment) {
	p.mu.Lock()
	for i, s := range p.subs {
		if s == a {
			p.subs = append(p.subs[:i], p.subs[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	a.close()
}

// writeStdin writes b to the process's stdin; with a tty it waits for
// the master, as a client may send input before the container runs.
func (p *procIO) writeStdin(b []byte) error {
	<-p.ready
	p.mu.Lock()
	f := p.stdin
	p.mu.Unlock()
	if f == nil {
		return os.ErrClosed
	}
	_, err := f.Write(b)
	return err
}

// closeStdin gives the process EOF on stdin. A pty stays open: closing its
// master would hang up the terminal.
func (p *procIO) closeStdin() {
	if p.tty() {
		return
	}
	p.mu.Lock()
	f := p.stdin
	p.stdin = nil
	p.mu.Unlock()
	if f != nil {
		f.Close()
	}
}

// drain waits until the output reached EOF, at most timeout (something
// outside the container, e.g. with the host's pid namespace, may hold the
// pipes open), then closes the process's stdio.
func (p *procIO) drain(timeout time.Duration) {
	select {
	case <-p.drained:
	case <-time.After(timeout):
		p.closeFiles() // ends the copies
		<-p.drained
	}
	p.closeFiles()
}

// closeFiles closes the shim's ends of the stdio (and releases a stdin
// writer still waiting for a master that will not come).
func (p *procIO) closeFiles() {
	p.mu.Lock()
	outs := p.outs
	if p.stdin != nil {
		p.stdin.Close()
		p.stdin = nil
	}
	select {
	case <-p.ready:
	default:
		close(p.ready)
	}
	p.mu.Unlock()
	for _, o := range outs {
		o.f.Close()
	}
}

// hangup ends every attached client's stream.
func (p *procIO) hangup() {
	p.mu.Lock()
	subs := p.subs
	p.subs, p.closed = nil, true
	p.mu.Unlock()
	for _, a := range subs {
		a.close()
	}
}

func closeAll(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}
