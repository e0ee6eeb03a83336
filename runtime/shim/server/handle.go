package server

import (
	"bufio"
	"errors"
	"io"
	"os"
	"time"

	"github.com/berth/berth/runtime/shim/protocol"
)

// serve accepts connections until the listener is closed.
func (s *shim) serve(l *listener) {
	for {
		conn, err := l.accept()
		if errors.Is(err, os.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors
			continue
		}
		s.handlers.Add(1)
		go func() {
			defer s.handlers.Done()
			s.handle(conn)
		}()
	}
}

// handle answers one connection: a request line, a response line, and for
// attach and exec the stream that follows.
func (s *shim) handle(conn *os.File) {
	br := bufio.NewReader(conn)
	req, err := readRequest(br)
	if err != nil {
		reply(conn, nil, invalid("bad request: "+err.Error()))
		conn.Close()
		return
	}
	switch req.op {
	case protocol.OpAttach:
		s.attach(conn, br, req)
		return
	case protocol.OpExec:
		s.exec(conn, br, req)
		return
	}
	defer conn.Close()
	resp, err := s.do(req)
	reply(conn, resp, err)
}

// do runs a request that has no stream and returns its response.
func (s *shim) do(req request) ([]byte, error) {
	switch req.op {
	case protocol.OpStart:
		return nil, s.start()
	case protocol.OpKill:
		return nil, s.kill(req.signal, req.all)
	case protocol.OpPause:
		return nil, s.pause()
	case protocol.OpResume:
		return nil, s.resume()
	case protocol.OpResize:
		return nil, s.resize(req.height, req.width)
	case protocol.OpState:
		return encodeState(s.state()), nil
	case protocol.OpWait:
		return encodeExit(s.wait()), nil
	case protocol.OpExecState:
		st, err := s.execState(req.id)
		return encodeExecState(st), err
	case protocol.OpExecResize:
		return nil, s.execResize(req.id, req.height, req.width)
	}
	return nil, invalid("unknown operation " + req.op)
}

func readRequest(br *bufio.Reader) (request, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return request{}, err
		}
		if len(line) > protocol.MaxRequestLen {
			return request{}, errors.New("request too long")
		}
	}
	return decodeRequest(line)
}

// reply writes the response line: resp, {} or the error.
func reply(conn *os.File, resp []byte, err error) error {
	if err != nil {
		var re *requestError
		kind := ""
		if errors.As(err, &re) {
			kind = re.kind
		}
		resp = encodeError(err.Error(), kind)
	} else if resp == nil {
		resp = []byte("{}")
	}
	_, err = conn.Write(append(resp, '\n'))
	return err
}

// requestError is an error of the request's own making, with its kind.
type requestError struct{ kind, msg string }

func (e *requestError) Error() string { return e.msg }

func conflict(msg string) error { return &requestError{protocol.KindConflict, msg} }
func notFound(msg string) error { return &requestError{protocol.KindNotFound, msg} }
func invalid(msg string) error  { return &requestError{protocol.KindInvalid, msg} }

// attach streams the container's output to conn and, with stdin, conn's
// bytes to the container's stdin.
func (s *shim) attach(conn *os.File, br *bufio.Reader, req request) {
	a := newAttachment(conn, req.stdout, req.stderr, !s.io.tty())
	a.mu.Lock() // no output before the response line
	if !s.io.attach(a) {
		a.mu.Unlock()
		reply(conn, nil, conflict("container is not running"))
		conn.Close()
		return
	}
	err := reply(conn, nil, nil)
	a.mu.Unlock()
	if err != nil {
		s.io.detach(a)
		return
	}
	withStdin := req.stdin && s.opts.OpenStdin
	err = readInput(br, s.io, withStdin)
	if withStdin && err == nil && s.opts.StdinOnce {
		s.io.closeStdin()
	}
	if err != nil || !req.stdout && !req.stderr {
		s.io.detach(a)
	}
}

// readInput copies the client's bytes to p's stdin (or discards them) until
// the client's EOF (nil) or an error.
func readInput(r io.Reader, p *procIO, toStdin bool) error {
	buf := make([]byte, 8<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 && toStdin {
			if p.writeStdin(buf[:n]) != nil {
				toStdin = false // stdin closed: keep reading for the EOF
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
