package cli

import (
	"context"
	"errors"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// AttachOptions are the options of "berth attach".
type AttachOptions struct {
	Container  string
	NoStdin    bool
	SigProxy   bool
	DetachKeys string
}

func newAttachCommand(c *CLI) *cobra.Command {
	var opts AttachOptions
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Container = args[0]
			return runAttach(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container attach", "berth attach")
	flags := cmd.Flags()
	flags.BoolVar(&opts.NoStdin, "no-stdin", false, "Do not attach STDIN")
	flags.BoolVar(&opts.SigProxy, "sig-proxy", true, "Proxy all received signals to the process")
	flags.StringVar(&opts.DetachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

// runAttach attaches to a running container until its output ends, and
// exits with its status. Detaching with the detach keys ends it with
// docker's "read escape sequence" error.
func runAttach(ctx context.Context, c *CLI, opts AttachOptions) error {
	if err := checkDetachKeys(opts.DetachKeys); err != nil {
		return err
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	waitCtx, cancelWait := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWait()
	wait := api.ContainerWait(waitCtx, opts.Container, client.ContainerWaitOptions{})
	ctr, err := attachableContainer(ctx, api, opts.Container)
	if err != nil {
		return err
	}
	tty := ctr.Config.Tty
	if !opts.NoStdin && tty && !c.inIsTerminal() {
		return errors.New("the input device is not a TTY")
	}
	if opts.SigProxy && !tty {
		defer proxySignals(ctx, api, ctr.ID)()
	}
	attachCfg := container.Config{
		Tty:          tty,
		AttachStdin:  !opts.NoStdin && ctr.Config.OpenStdin,
		AttachStdout: true,
		AttachStderr: true,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	streamErr, err := c.attachStreams(ctx, api, opts.Container, &attachCfg, opts.DetachKeys)
	if err != nil {
		return err
	}
	// the container may have stopped between the first check and attach
	if _, err := attachableContainer(ctx, api, opts.Container); err != nil {
		return err
	}
	if tty && c.outIsTerminal() {
		resize := containerResizer(api, ctr.ID)
		// one row and column more, then the real size: makes the
		// program redraw, as docker does
		if h, w := c.ttySize(); h != 0 || w != 0 {
			_ = resize(ctx, h+1, w+1)
		}
		c.monitorTTYSize(ctx, resize)
	}
	if err := <-streamErr; err != nil {
		return err
	}
	select {
	case r := <-wait.Result:
		if r.Error != nil {
			return errors.New(r.Error.Message)
		}
		if r.StatusCode != 0 {
			return StatusError{StatusCode: int(r.StatusCode)}
		}
	case err := <-wait.Error:
		return err
	}
	return nil
}

// attachableContainer inspects the container and refuses one that is not
// running, with docker's messages.
func attachableContainer(ctx context.Context, api client.APIClient, name string) (container.InspectResponse, error) {
	res, err := api.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return res.Container, err
	}
	ctr := res.Container
	switch {
	case ctr.State == nil || ctr.Config == nil:
		return ctr, errors.New("invalid container state from the daemon")
	case !ctr.State.Running:
		return ctr, errors.New("You cannot attach to a stopped container, start it first")
	case ctr.State.Paused:
		return ctr, errors.New("You cannot attach to a paused container, unpause it first")
	case ctr.State.Restarting:
		return ctr, errors.New("You cannot attach to a restarting container, wait until it is running")
	}
	return ctr, nil
}
