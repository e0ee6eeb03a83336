package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// RunOptions are the options of "berth run" that are not part of the
// container's configuration.
type RunOptions struct {
	Create     CreateOptions
	Detach     bool
	SigProxy   bool
	DetachKeys string
}

func newRunCommand(c *CLI) *cobra.Command {
	var opts RunOptions
	var copts *containerOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			copts.Image, copts.Args = args[0], args[1:]
			return runRun(cmd.Context(), c, opts, copts)
		},
	}
	withAliases(cmd, "berth container run", "berth run")
	flags := cmd.Flags()
	flags.BoolVarP(&opts.Detach, "detach", "d", false, "Run container in background and print container ID")
	flags.BoolVar(&opts.SigProxy, "sig-proxy", true, "Proxy received signals to the process")
	flags.StringVar(&opts.DetachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	addCreateFlags(flags, &opts.Create, "running")
	copts = addContainerFlags(flags, c.lookupEnv)
	return cmd
}

// runRun is docker's run: create, attach (before start, so no output is
// lost), wait for the next exit (or the removal, with --rm), start, resize
// the tty; then the exit status of the container is berth's.
func runRun(ctx context.Context, c *CLI, opts RunOptions, copts *containerOptions) error {
	if err := checkPullPolicy(opts.Create.Pull); err != nil {
		return usageError("run", err)
	}
	cfg, err := copts.parse(c.lookupEnv)
	if err != nil {
		return usageError("run", err)
	}
	if err := checkDetachKeys(opts.DetachKeys); err != nil {
		return usageError("run", err)
	}
	config := cfg.Config
	if opts.Detach {
		if len(copts.attach) > 0 {
			return errors.New("conflicting options: cannot specify both --attach and --detach")
		}
		config.AttachStdin, config.AttachStdout, config.AttachStderr, config.StdinOnce = false, false, false, false
	} else if config.AttachStdin && config.Tty && !c.inIsTerminal() {
		return errors.New("the input device is not a TTY")
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	id, err := c.createContainer(ctx, api, cfg, opts.Create)
	if err != nil {
		return runError(err)
	}
	if opts.SigProxy {
		defer proxySignals(ctx, api, id)()
	}
	if !config.AttachStdout && !config.AttachStderr {
		_, _ = fmt.Fprintln(c.out, id)
	}
	return c.attachStartWait(ctx, cancel, api, id, config, opts, copts.autoRemove)
}

// runError reports a failure to create or start the container the way
// docker run does, with its exit status (125, 126 or 127).
func runError(err error) error {
	return StatusError{
		Status:     fmt.Sprintf("berth: %s\n\nRun 'berth run --help' for more information", err),
		StatusCode: startErrorStatus(err),
	}
}

func (c *CLI) attachStartWait(ctx context.Context, cancel context.CancelFunc, api client.APIClient, id string,
	config *container.Config, opts RunOptions, autoRemove bool) error {
	attached := config.AttachStdin || config.AttachStdout || config.AttachStderr
	var streamErr <-chan error
	if attached {
		var err error
		if streamErr, err = c.attachStreams(ctx, api, id, config, opts.DetachKeys); err != nil {
			return err
		}
	}
	// waiting must outlive a cancelled attach; it ends when run returns
	waitCtx, cancelWait := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWait()
	status := waitExit(waitCtx, c, api, id, autoRemove)
	if _, err := api.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		if attached {
			cancel()
			<-streamErr
		}
		if autoRemove {
			<-status
		}
		return runError(err)
	}
	if attached && config.Tty && c.outIsTerminal() {
		c.monitorTTYSize(ctx, containerResizer(api, id))
	}
	if streamErr != nil {
		if err := <-streamErr; err != nil {
			if isDetach(err) {
				return nil
			}
			return err
		}
	}
	if !config.AttachStdout && !config.AttachStderr {
		return nil
	}
	if code := <-status; code != 0 {
		return StatusError{StatusCode: code}
	}
	return nil
}

// attachStreams attaches to the container and streams its stdio in the
// background; the channel gets the result.
func (c *CLI) attachStreams(ctx context.Context, api client.APIClient, id string, config *container.Config, detachKeys string) (<-chan error, error) {
	res, err := api.ContainerAttach(ctx, id, client.ContainerAttachOptions{
		Stream:     true,
		Stdin:      config.AttachStdin,
		Stdout:     config.AttachStdout,
		Stderr:     config.AttachStderr,
		DetachKeys: detachKeys,
	})
	if err != nil {
		return nil, err
	}
	h := hijackedIO{tty: config.Tty, detachKeys: detachKeys}
	if config.AttachStdin {
		h.in = c.in
	}
	if config.AttachStdout {
		h.out = c.out
	}
	if config.AttachStderr {
		h.errOut = c.errOut
		if config.Tty {
			h.errOut = c.out
		}
	}
	done := make(chan error, 1)
	go func() {
		defer res.Close()
		done <- c.streamHijacked(ctx, res.HijackedResponse, h)
	}()
	return done, nil
}

// waitExit waits for the container's next exit, or for its removal, and
// sends its exit status; 125 when waiting fails.
func waitExit(ctx context.Context, c *CLI, api client.APIClient, id string, removed bool) <-chan int {
	condition := container.WaitConditionNextExit
	if removed {
		condition = container.WaitConditionRemoved
	}
	res := api.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: condition})
	status := make(chan int, 1)
	go func() {
		select {
		case r := <-res.Result:
			if r.Error != nil {
				_, _ = fmt.Fprintf(c.errOut, "Error waiting for container: %v\n", r.Error.Message)
				status <- 125
				return
			}
			status <- int(r.StatusCode)
		case err := <-res.Error:
			if ctx.Err() == nil { // not berth giving up on it
				_, _ = fmt.Fprintf(c.errOut, "error waiting for container: %v\n", err)
			}
			status <- 125
		}
	}()
	return status
}
