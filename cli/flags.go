package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"
)

// DefaultHost is the daemon address used when neither -H, BERTH_HOST nor
// DOCKER_HOST names one.
const DefaultHost = "unix:///run/berth.sock"

const (
	defaultTCPPort    = "2375"
	defaultTLSPort    = "2376"
	defaultTCPHost    = "localhost"
	defaultUnixSocket = "/run/berth.sock"
)

// globalOptions are the flags that come before the command, as docker's.
type globalOptions struct {
	configDir string
	debug     bool
	hosts     []string
	logLevel  string
	version   bool

	tls       bool
	tlsVerify bool
	tlsCACert string
	tlsCert   string
	tlsKey    string

	// flags is the set the options were installed on, to tell a flag
	// given on the command line from its default.
	flags *pflag.FlagSet
}

// install adds the global flags to fs, with docker's names, help texts and
// defaults (certificates under $DOCKER_CERT_PATH or ~/.docker).
func (o *globalOptions) install(fs *pflag.FlagSet, getenv func(string) string) {
	o.flags = fs
	configDir := getenv("DOCKER_CONFIG")
	if configDir == "" {
		home, _ := os.UserHomeDir()
		configDir = filepath.Join(home, ".docker")
	}
	certDir := getenv(client.EnvOverrideCertPath)
	if certDir == "" {
		certDir = configDir
	}

	fs.StringVar(&o.configDir, "config", configDir, "Location of client config files")
	fs.BoolVarP(&o.debug, "debug", "D", false, "Enable debug mode")
	fs.VarP(newListValue(&o.hosts), "host", "H", "Daemon socket to connect to")
	fs.StringVarP(&o.logLevel, "log-level", "l", "info", `Set the logging level ("debug", "info", "warn", "error", "fatal")`)
	fs.BoolVar(&o.tls, "tls", false, "Use TLS; implied by --tlsverify")
	fs.StringVar(&o.tlsCACert, "tlscacert", filepath.Join(certDir, "ca.pem"), "Trust certs signed only by this CA")
	fs.StringVar(&o.tlsCert, "tlscert", filepath.Join(certDir, "cert.pem"), "Path to TLS certificate file")
	fs.StringVar(&o.tlsKey, "tlskey", filepath.Join(certDir, "key.pem"), "Path to TLS key file")
	fs.BoolVar(&o.tlsVerify, "tlsverify", getenv(client.EnvTLSVerify) != "", "Use TLS and verify the remote")
	fs.BoolVarP(&o.version, "version", "v", false, "Print version information and quit")
}

// logger returns the logger selected by --log-level and --debug.
func (o *globalOptions) logger(w io.Writer) (*slog.Logger, error) {
	level := o.logLevel
	if o.debug {
		level = "debug"
	}
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "info":
		l = slog.LevelInfo
	case "warn", "warning":
		l = slog.LevelWarn
	case "error", "fatal", "panic":
		l = slog.LevelError
	default:
		return nil, fmt.Errorf("Unable to parse logging level: %s", o.logLevel)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// tlsOptions returns the TLS settings, or nil when TLS is off. As in docker,
// --tlsverify (or DOCKER_TLS_VERIFY) implies --tls, and default certificate
// paths that do not exist are dropped.
func (o *globalOptions) tlsOptions() *tlsconfig.Options {
	changed := func(name string) bool { return o.flags != nil && o.flags.Changed(name) }
	if !o.tls && !o.tlsVerify && !changed("tlsverify") {
		return nil
	}
	opts := &tlsconfig.Options{
		CAFile:             o.tlsCACert,
		CertFile:           o.tlsCert,
		KeyFile:            o.tlsKey,
		InsecureSkipVerify: !o.tlsVerify,
	}
	if !changed("tlscert") && !fileExists(opts.CertFile) {
		opts.CertFile = ""
	}
	if !changed("tlskey") && !fileExists(opts.KeyFile) {
		opts.KeyFile = ""
	}
	return opts
}

// tlsClientConfig builds the client's TLS configuration. Like docker, it
// reads every file named, the CA too when it will not verify with it.
func tlsClientConfig(opts tlsconfig.Options) (*tls.Config, error) {
	for _, f := range []string{opts.CAFile, opts.CertFile, opts.KeyFile} {
		if f == "" {
			continue
		}
		if _, err := os.ReadFile(f); err != nil {
			return nil, err
		}
	}
	opts.MinVersion = tls.VersionTLS12
	return tlsconfig.Client(opts)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// resolveHost picks the daemon address: -H, then BERTH_HOST, then
// DOCKER_HOST, then DefaultHost; and normalizes it like docker does.
func resolveHost(flagHosts []string, getenv func(string) string, useTLS bool) (string, error) {
	var host string
	switch {
	case len(flagHosts) > 1:
		return "", errors.New("Specify only one -H")
	case len(flagHosts) == 1:
		host = flagHosts[0]
	case getenv("BERTH_HOST") != "":
		host = getenv("BERTH_HOST")
	default:
		host = getenv(client.EnvOverrideHost)
	}
	return parseHost(host, useTLS)
}

// parseHost normalizes a daemon address: "" is DefaultHost, "unix://" the
// default socket, "host:port" and "tcp://host" get docker's defaults
// (localhost, port 2375, or 2376 with TLS).
func parseHost(addr string, useTLS bool) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return DefaultHost, nil
	}
	proto, rest, ok := strings.Cut(addr, "://")
	if !ok {
		proto, rest = "tcp", addr
	}
	switch proto {
	case "unix":
		if rest == "" {
			rest = defaultUnixSocket
		}
		return "unix://" + rest, nil
	case "tcp":
		return parseTCPAddr(rest, useTLS)
	default:
		return "", fmt.Errorf("invalid bind address format: %s", addr)
	}
}

func parseTCPAddr(addr string, useTLS bool) (string, error) {
	u, err := url.Parse("tcp://" + addr)
	if err != nil {
		return "", fmt.Errorf("invalid bind address format: %s", addr)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, ""
	}
	if host == "" {
		host = defaultTCPHost
	}
	if port == "" {
		port = defaultTCPPort
		if useTLS {
			port = defaultTLSPort
		}
	}
	if strings.ContainsAny(port, ":/") {
		return "", fmt.Errorf("invalid bind address format: %s", addr)
	}
	return "tcp://" + net.JoinHostPort(host, port) + u.Path, nil
}

// listValue is a repeatable string flag shown as "list" in help, like
// docker's ListOpts.
type listValue struct{ values *[]string }

func newListValue(p *[]string) *listValue { return &listValue{values: p} }

func (l *listValue) String() string {
	if l.values == nil || len(*l.values) == 0 {
		return ""
	}
	return "[" + strings.Join(*l.values, " ") + "]"
}
func (l *listValue) Set(v string) error { *l.values = append(*l.values, v); return nil }
func (l *listValue) Type() string       { return "list" }

// filterValue is docker's -f/--filter: repeatable name=value pairs.
type filterValue struct{ filters client.Filters }

func newFilterValue() *filterValue { return &filterValue{filters: client.Filters{}} }

func (f *filterValue) String() string {
	var parts []string
	for name, values := range f.filters {
		for v := range values {
			parts = append(parts, name+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

func (f *filterValue) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok {
		return errors.New("bad format of filter (expected name=value)")
	}
	f.filters.Add(strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value))
	return nil
}

func (f *filterValue) Type() string { return "filter" }

// value returns a copy of the filters, safe to add to.
func (f *filterValue) value() client.Filters { return f.filters.Clone() }

// parsePlatform parses "os[/arch[/variant]]".
func parsePlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "/")
	if len(parts) > 3 || parts[0] == "" {
		return ocispec.Platform{}, fmt.Errorf("invalid platform %q: expected os[/arch[/variant]]", s)
	}
	p := ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p, nil
}
