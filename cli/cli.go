// Package cli implements berth, the command-line client of the Berth engine.
//
// berth mirrors the docker CLI: the same command tree, flags, output formats
// and exit codes, so scripts written for docker work unchanged against berthd
// (and berth works against a real dockerd). Each command turns its flags into
// an options struct, makes one call through the Docker Engine API client
// (github.com/moby/moby/client) and hands the result to a formatting function
// that writes to an io.Writer; those functions are what the tests exercise.
//
// Layout: cli.go (the CLI value and Run), root.go (command tree and help),
// errors.go (exit codes, argument checks), flags.go (global options, daemon
// host, TLS), format.go (templates, tables, human units), jsonstream.go (the
// daemon's JSON progress stream), and one file per command. The container
// commands share container_opts.go and container_parse.go (the create/run
// flags and how they become the create request), container_stream.go (the
// hijacked attach/exec streams) and container_signals.go (--sig-proxy and
// tty resizing).
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"

	"github.com/moby/moby/client"
	"github.com/moby/term"
)

// Version information of the berth binary, set at build time with
// -ldflags "-X github.com/berth/berth/cli.Version=...".
var (
	Version   = "0.1.0-dev"
	GitCommit = "unknown"
	BuildTime = ""
)

// CLI holds what every command needs: the standard streams, the global
// options and, once a command asks for it, the API client.
type CLI struct {
	in     io.Reader
	out    io.Writer
	errOut io.Writer
	getenv func(string) string
	opts   globalOptions
	logger *slog.Logger

	// host is the daemon address the client was created for; it is used
	// to word connection errors.
	host      string
	apiClient *client.Client
}

// New returns a CLI reading stdin from in and writing to out and errOut.
// getenv looks up environment variables (os.Getenv in production).
func New(in io.Reader, out, errOut io.Writer, getenv func(string) string) *CLI {
	return &CLI{in: in, out: out, errOut: errOut, getenv: getenv, logger: slog.New(slog.DiscardHandler)}
}

// Run executes the command line args (without the program name) and returns
// the process exit status. Errors are printed to the error stream like the
// docker CLI prints them.
func (c *CLI) Run(ctx context.Context, args []string) int {
	root := NewRootCommand(c)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if c.apiClient != nil {
		_ = c.apiClient.Close()
	}
	if err == nil || isCancelled(err) {
		return 0
	}
	if msg := c.errorText(err); msg != "" {
		_, _ = fmt.Fprintln(c.errOut, msg)
	}
	return exitCode(err)
}

// Client returns the API client for the daemon selected by the global
// options, creating it on first use. API version negotiation happens on the
// first request.
func (c *CLI) Client() (*client.Client, error) {
	if c.apiClient != nil {
		return c.apiClient, nil
	}
	host, apiClient, err := c.newClient()
	if err != nil {
		return nil, fmt.Errorf("Failed to initialize: unable to resolve berth endpoint: %w", err)
	}
	c.host, c.apiClient = host, apiClient
	c.logger.Debug("API client", "host", host)
	return apiClient, nil
}

func (c *CLI) newClient() (string, *client.Client, error) {
	tlsOpts := c.opts.tlsOptions()
	host, err := resolveHost(c.opts.hosts, c.getenv, tlsOpts != nil)
	if err != nil {
		return "", nil, err
	}
	ops := []client.Opt{
		client.WithUserAgent(fmt.Sprintf("Berth-Client/%s (%s)", Version, runtime.GOOS)),
		client.WithAPIVersionFromEnv(),
	}
	if tlsOpts != nil {
		cfg, err := tlsClientConfig(*tlsOpts)
		if err != nil {
			return "", nil, err
		}
		ops = append(ops, client.WithHTTPClient(&http.Client{
			Transport:     &http.Transport{TLSClientConfig: cfg},
			CheckRedirect: client.CheckRedirect,
		}))
	}
	ops = append(ops, client.WithHost(host))
	apiClient, err := client.New(ops...)
	return host, apiClient, err
}

// outIsTerminal reports whether standard output is a terminal.
func (c *CLI) outIsTerminal() bool {
	_, ok := term.GetFdInfo(c.out)
	return ok
}

// inIsTerminal reports whether standard input is a terminal.
func (c *CLI) inIsTerminal() bool {
	_, ok := term.GetFdInfo(c.in)
	return ok
}

// outWidth is the width of the terminal on standard output; 200 when it
// cannot be told.
func (c *CLI) outWidth() int {
	fd, ok := term.GetFdInfo(c.out)
	if !ok {
		return 200
	}
	ws, err := term.GetWinsize(fd)
	if err != nil {
		return 200
	}
	return int(ws.Width)
}
