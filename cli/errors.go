package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// StatusError is an error that sets the exit status of the process. Status
// is the text printed to stderr (nothing when empty).
type StatusError struct {
	Status     string
	StatusCode int
}

func (e StatusError) Error() string { return e.Status }

// exit statuses shared with the docker CLI.
const (
	exitFlagError     = 125 // bad flag or flag value
	exitTemplateError = 64  // --format that does not parse (version, info, inspect)
)

// cancelledError ends a command the user declined at a prompt; the process
// exits 0 without a message, like docker.
type cancelledError struct{ error }

func isCancelled(err error) bool {
	var c cancelledError
	return errors.As(err, &c)
}

// exitCode maps an error returned by a command to the process exit status.
func exitCode(err error) int {
	var se StatusError
	if errors.As(err, &se) && se.StatusCode != 0 {
		return se.StatusCode
	}
	return 1
}

// errorText is the message printed for err. The client words connection
// failures for Docker; berth names its own daemon.
func (c *CLI) errorText(err error) string {
	if !client.IsErrConnectionFailed(err) {
		return err.Error()
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "Cannot connect to the Docker daemon"),
		strings.Contains(msg, "check if the path is correct and if the daemon is running"):
		return fmt.Sprintf("Cannot connect to the Berth daemon at %s. Is the daemon running?", c.host)
	case strings.HasPrefix(msg, "permission denied while trying to connect to the docker API"):
		return fmt.Sprintf("permission denied while trying to connect to the Berth daemon socket at %s", c.host)
	}
	return strings.ReplaceAll(msg, "docker API", "Berth API")
}

// flagError words a flag parsing error like docker and exits 125.
func flagError(cmd *cobra.Command, err error) error {
	if err == nil {
		return nil
	}
	return StatusError{
		Status:     fmt.Sprintf("%s\n\nUsage:  %s\n\nRun '%s --help' for more information", err, cmd.UseLine(), cmd.CommandPath()),
		StatusCode: exitFlagError,
	}
}

// Positional argument checks, worded like docker's.

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		return fmt.Errorf("%s: unknown command: %s %s\n\nUsage:  %s\n\nRun '%s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), args[0], cmd.UseLine(), cmd.CommandPath())
	}
	return fmt.Errorf("%s: '%s' accepts no arguments\n\nUsage:  %s\n\nRun '%s --help' for more information",
		cmd.Root().Name(), cmd.CommandPath(), cmd.UseLine(), cmd.CommandPath())
}

func requiresMinArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= n {
			return nil
		}
		return fmt.Errorf("%s: '%s' requires at least %d %s\n\nUsage:  %s\n\nSee '%s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), n, plural("argument", n), cmd.UseLine(), cmd.CommandPath())
	}
}

func requiresMaxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) <= n {
			return nil
		}
		return fmt.Errorf("%s: '%s' requires at most %d %s\n\nUsage:  %s\n\nRun '%s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), n, plural("argument", n), cmd.UseLine(), cmd.CommandPath())
	}
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return fmt.Errorf("%s: '%s' requires %d %s\n\nUsage:  %s\n\nRun '%s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), n, plural("argument", n), cmd.UseLine(), cmd.CommandPath())
	}
}

func plural(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func requiresRangeArgs(minArgs, maxArgs int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= minArgs && len(args) <= maxArgs {
			return nil
		}
		return fmt.Errorf("%s: '%s' requires at least %d and at most %d %s\n\nUsage:  %s\n\nRun '%s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), minArgs, maxArgs, plural("argument", maxArgs), cmd.UseLine(), cmd.CommandPath())
	}
}
