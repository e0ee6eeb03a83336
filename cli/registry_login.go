package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	"github.com/moby/term"
	"github.com/spf13/cobra"
)

// LoginOptions are the options of "berth login".
type LoginOptions struct {
	Server        string // "" is Docker Hub
	Username      string
	Password      string
	PasswordStdin bool
}

func newLoginCommand(c *CLI) *cobra.Command {
	var opts LoginOptions
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Authenticate to a registry",
		Long:  "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
		Args:  requiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				opts.Server = args[0]
			}
			return runLogin(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&opts.Username, "username", "u", "", "Username")
	flags.StringVarP(&opts.Password, "password", "p", "", "Password or Personal Access Token (PAT)")
	flags.BoolVar(&opts.PasswordStdin, "password-stdin", false, "Take the Password or Personal Access Token (PAT) from stdin")
	return topCommand(cmd, 8)
}

func runLogin(ctx context.Context, c *CLI, opts LoginOptions) error {
	if err := c.readCredentials(&opts); err != nil {
		return err
	}
	server := opts.Server
	if server == "" {
		server = dockerHubServer
	} else if hostOf(server) != "index.docker.io" && hostOf(server) != "docker.io" {
		server = hostOf(server)
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.RegistryLogin(ctx, client.RegistryLoginOptions{Username: opts.Username, Password: opts.Password, ServerAddress: server})
	if err != nil {
		return err
	}
	f, err := loadConfigFile(c.configDir())
	if err != nil {
		return err
	}
	plain, err := storeCredentials(f, server, registrytypes.AuthConfig{Username: opts.Username, Password: opts.Password, IdentityToken: res.Auth.IdentityToken})
	if err != nil {
		return fmt.Errorf("error saving credentials: %w", err)
	}
	if plain {
		_, _ = fmt.Fprintf(c.errOut, "WARNING! Your credentials are stored unencrypted in '%s'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n", f.path)
	}
	status := res.Auth.Status
	if status == "" {
		status = "Login Succeeded"
	}
	_, err = fmt.Fprintln(c.out, status)
	return err
}

// readCredentials completes opts from --password-stdin, or by asking on
// the terminal, as docker does.
func (c *CLI) readCredentials(opts *LoginOptions) error {
	if opts.Password != "" {
		_, _ = fmt.Fprintln(c.errOut, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
		if opts.PasswordStdin {
			return errors.New("--password and --password-stdin are mutually exclusive")
		}
	}
	if opts.PasswordStdin {
		if opts.Username == "" {
			return errors.New("Must provide --username with --password-stdin")
		}
		raw, err := io.ReadAll(c.in)
		if err != nil {
			return err
		}
		opts.Password = strings.TrimRight(string(raw), "\r\n")
	}
	if opts.Username != "" && opts.Password != "" {
		return nil
	}
	fd, isTerm := term.GetFdInfo(c.in)
	if !isTerm {
		return errors.New("Error: Cannot perform an interactive login from a non TTY device")
	}
	in := bufio.NewReader(c.in)
	if opts.Username == "" {
		_, _ = fmt.Fprint(c.out, "Username: ")
		line, _ := in.ReadString('\n')
		opts.Username = strings.TrimSpace(line)
		if opts.Username == "" {
			return errors.New("Error: Non-null Username Required")
		}
	}
	state, err := term.SaveState(fd)
	if err != nil {
		return err
	}
	_ = term.DisableEcho(fd, state)
	_, _ = fmt.Fprint(c.out, "Password: ")
	line, _ := in.ReadString('\n')
	_ = term.RestoreTerminal(fd, state)
	_, _ = fmt.Fprintln(c.out)
	opts.Password = strings.TrimRight(line, "\r\n")
	if opts.Password == "" {
		return errors.New("Error: Password Required")
	}
	return nil
}

func newLogoutCommand(c *CLI) *cobra.Command {
	return topCommand(&cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry",
		Long:  "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
		Args:  requiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := dockerHubServer
			if len(args) > 0 {
				server = args[0]
			}
			return runLogout(c, server)
		},
	}, 9)
}

// runLogout forgets the credentials of server; it makes no API call.
func runLogout(c *CLI, server string) error {
	f, err := loadConfigFile(c.configDir())
	if err != nil {
		return err
	}
	found, err := eraseCredentials(f, server)
	if err != nil {
		return err
	}
	if !found {
		_, err := fmt.Fprintf(c.out, "Not logged in to %s\n", hostOf(server))
		return err
	}
	_, err = fmt.Fprintf(c.out, "Removing login credentials for %s\n", hostOf(server))
	return err
}
