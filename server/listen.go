package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
)

// ListenOptions say how to secure TCP listeners and own unix sockets.
type ListenOptions struct {
	TLS           *tls.Config // nil: plain TCP
	AllowPlainTCP bool        // the user opted out of TLS explicitly
	Group         string      // owner group of unix sockets, if it exists
}

// Listen opens the listeners for one -H address: unix://PATH, tcp://HOST:PORT
// or fd://[N] (socket activation).
func Listen(addr string, opts ListenOptions, log *slog.Logger) ([]net.Listener, error) {
	proto, rest, ok := strings.Cut(addr, "://")
	if !ok {
		return nil, fmt.Errorf("invalid host %q: want unix://, tcp:// or fd://", addr)
	}
	switch proto {
	case "unix":
		l, err := listenUnix(rest, opts.Group, log)
		return []net.Listener{l}, err
	case "tcp":
		l, err := listenTCP(rest, opts, log)
		return []net.Listener{l}, err
	case "fd":
		return listenFD(rest)
	}
	return nil, fmt.Errorf("invalid host %q: unsupported protocol %q", addr, proto)
}

func listenUnix(path string, group string, log *slog.Logger) (net.Listener, error) {
	if path == "" {
		return nil, errors.New("unix socket path is empty")
	}
	// A socket file left by a crashed daemon blocks Listen; one that still
	// answers belongs to a live daemon and must not be taken over.
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s is in use by another daemon", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	gid := 0
	if g, err := user.LookupGroup(group); err == nil {
		gid, _ = strconv.Atoi(g.Gid)
	} else if group != "" {
		log.Debug("socket group not found; socket stays root-only", "group", group)
	}
	if err := os.Chown(path, 0, gid); err != nil {
		l.Close()
		return nil, err
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func listenTCP(addr string, opts ListenOptions, log *slog.Logger) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("invalid tcp address %q: %w", addr, err)
	}
	if opts.TLS == nil && !isLoopback(host) {
		if !opts.AllowPlainTCP {
			return nil, fmt.Errorf("refusing to serve the API on tcp://%s without TLS: anyone who reaches it has root on this host. Use --tlsverify with --tlscacert, --tlscert and --tlskey, or pass --tls=false to accept the risk", addr)
		}
		log.Warn("serving the API on plain TCP: anyone who reaches this address has root on this host", "addr", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if opts.TLS != nil {
		return tls.NewListener(l, opts.TLS), nil
	}
	return l, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// listenFD takes the sockets systemd passed (LISTEN_FDS, starting at fd 3).
func listenFD(which string) ([]net.Listener, error) {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return nil, errors.New("fd://: no sockets were passed to this process (LISTEN_PID)")
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 1 {
		return nil, errors.New("fd://: no sockets were passed to this process (LISTEN_FDS)")
	}
	var ls []net.Listener
	for fd := 3; fd < 3+n; fd++ {
		if which != "" && which != strconv.Itoa(fd) {
			continue
		}
		f := os.NewFile(uintptr(fd), "fd"+strconv.Itoa(fd))
		l, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("fd://%d: %w", fd, err)
		}
		ls = append(ls, l)
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("fd://%s: no such socket was passed", which)
	}
	return ls, nil
}

// TLSConfig builds the server TLS configuration. With verify, clients must
// present a certificate signed by caFile (mutual TLS).
func TLSConfig(certFile, keyFile, caFile string, verify bool) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading TLS certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if !verify {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("loading TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificates found in %s", caFile)
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	return cfg, nil
}
