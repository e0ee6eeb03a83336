package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/berth/berth/api"
	"github.com/berth/berth/daemon"
)

// Stream content types of attach, exec and logs (API 1.42+ names framed
// streams "multiplexed"; earlier versions called both "raw-stream").
const (
	rawStream         = "application/vnd.docker.raw-stream"
	multiplexedStream = "application/vnd.docker.multiplexed-stream"
)

func streamType(tty bool, version string) string {
	if tty || api.VersionLess(version, "1.42") {
		return rawStream
	}
	return multiplexedStream
}

// hijackFunc returns the daemon.Hijack that takes over the connection of r:
// 101 UPGRADED when the client asked to upgrade, else 200, then raw bytes.
func hijackFunc(w http.ResponseWriter, r *http.Request) daemon.Hijack {
	return func(tty bool) (daemon.Conn, error) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return nil, err
		}
		contentType := streamType(tty, versionOf(r.Context()))
		var head string
		if strings.EqualFold(r.Header.Get("Upgrade"), "tcp") || strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") {
			head = fmt.Sprintf("HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", contentType)
		} else {
			head = fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: %s\r\n\r\n", contentType)
		}
		if _, err := conn.Write([]byte(head)); err != nil {
			conn.Close()
			return nil, err
		}
		return &hijackedConn{Conn: conn, r: buf.Reader}, nil
	}
}

// hijackedConn reads first what the HTTP server buffered past the request.
type hijackedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *hijackedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// CloseWrite half-closes the connection so the client sees the end of output.
func (c *hijackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}

var _ io.Reader = (*hijackedConn)(nil)
