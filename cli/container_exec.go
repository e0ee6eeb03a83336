package cli

import (
	"context"
	"errors"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ExecOptions are the options of "berth exec".
type ExecOptions struct {
	Container   string
	Command     []string
	Detach      bool
	Interactive bool
	TTY         bool
	User        string
	Workdir     string
	Env         []string
	EnvFile     []string
	Privileged  bool
	DetachKeys  string
}

func newExecCommand(c *CLI) *cobra.Command {
	var opts ExecOptions
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  requiresMinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Container, opts.Command = args[0], args[1:]
			return runExec(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container exec", "berth exec")
	flags := cmd.Flags()
	flags.SetInterspersed(false)
	flags.StringVar(&opts.DetachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	flags.VarP(newCheckedList(&opts.Env, validateEnv(c.lookupEnv)), "env", "e", "Set environment variables")
	flags.Var(newListValue(&opts.EnvFile), "env-file", "Read in a file of environment variables")
	flags.BoolVarP(&opts.Interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	flags.BoolVar(&opts.Privileged, "privileged", false, "Give extended privileges to the command")
	flags.BoolVarP(&opts.TTY, "tty", "t", false, "Allocate a pseudo-TTY")
	flags.StringVarP(&opts.User, "user", "u", "", "Username or UID (format: \"<name|uid>[:<group|gid>]\")")
	flags.StringVarP(&opts.Workdir, "workdir", "w", "", "Working directory inside the container")
	flags.BoolVarP(&opts.Detach, "detach", "d", false, "Detached mode: run command in the background")
	return cmd
}

// apiOptions is the exec create request: without -d, stdout and stderr
// are attached, and stdin with -i.
func (o ExecOptions) apiOptions(lookupEnv func(string) (string, bool)) (client.ExecCreateOptions, error) {
	env, err := readKVFiles(o.EnvFile, lookupEnv)
	if err != nil {
		return client.ExecCreateOptions{}, err
	}
	opts := client.ExecCreateOptions{
		User:       o.User,
		Privileged: o.Privileged,
		TTY:        o.TTY,
		DetachKeys: o.DetachKeys,
		Env:        nilIfEmpty(append(env, o.Env...)),
		WorkingDir: o.Workdir,
		Cmd:        o.Command,
	}
	if !o.Detach {
		opts.AttachStdout, opts.AttachStderr, opts.AttachStdin = true, true, o.Interactive
	}
	return opts, nil
}

// runExec runs a command in the container and exits with its exit code,
// read with ExecInspect once the output ends.
func runExec(ctx context.Context, c *CLI, opts ExecOptions) error {
	if err := checkDetachKeys(opts.DetachKeys); err != nil {
		return err
	}
	execOpts, err := opts.apiOptions(c.lookupEnv)
	if err != nil {
		return err
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	// "no such container" comes before a tty complaint, as in docker
	if _, err := api.ContainerInspect(ctx, opts.Container, client.ContainerInspectOptions{}); err != nil {
		return err
	}
	if !opts.Detach && execOpts.AttachStdin && execOpts.TTY && !c.inIsTerminal() {
		return errors.New("the input device is not a TTY")
	}
	if execOpts.TTY {
		h, w := c.ttySize()
		execOpts.ConsoleSize = client.ConsoleSize{Height: h, Width: w}
	}
	created, err := api.ExecCreate(ctx, opts.Container, execOpts)
	if err != nil {
		return err
	}
	if created.ID == "" {
		return errors.New("exec ID empty")
	}
	if opts.Detach {
		_, err := api.ExecStart(ctx, created.ID, client.ExecStartOptions{Detach: true, TTY: execOpts.TTY, ConsoleSize: execOpts.ConsoleSize})
		return err
	}
	return c.interactiveExec(ctx, api, created.ID, execOpts)
}

func (c *CLI) interactiveExec(ctx context.Context, api client.APIClient, id string, opts client.ExecCreateOptions) error {
	res, err := api.ExecAttach(ctx, id, client.ExecAttachOptions{TTY: opts.TTY, ConsoleSize: opts.ConsoleSize})
	if err != nil {
		return err
	}
	defer res.Close()
	h := hijackedIO{tty: opts.TTY, detachKeys: opts.DetachKeys, out: c.out, errOut: c.errOut}
	if opts.TTY {
		h.errOut = c.out
	}
	if opts.AttachStdin {
		h.in = c.in
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.streamHijacked(ctx, res.HijackedResponse, h) }()
	if opts.TTY && c.inIsTerminal() {
		c.monitorTTYSize(ctx, execResizer(api, id))
	}
	if err := <-done; err != nil {
		return err
	}
	inspect, err := api.ExecInspect(ctx, id, client.ExecInspectOptions{})
	if err != nil {
		if client.IsErrConnectionFailed(err) {
			return StatusError{StatusCode: -1}
		}
		return err
	}
	if inspect.ExitCode != 0 {
		return StatusError{StatusCode: inspect.ExitCode}
	}
	return nil
}
