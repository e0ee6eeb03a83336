package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// StartOptions are the options of "berth start".
type StartOptions struct {
	Containers []string
	Attach     bool
	OpenStdin  bool
	DetachKeys string
}

func newStartCommand(c *CLI) *cobra.Command {
	var opts StartOptions
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Containers = args
			return runStart(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container start", "berth start")
	flags := cmd.Flags()
	flags.BoolVarP(&opts.Attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	flags.BoolVarP(&opts.OpenStdin, "interactive", "i", false, "Attach container's STDIN")
	flags.StringVar(&opts.DetachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

func runStart(ctx context.Context, c *CLI, opts StartOptions) error {
	if err := checkDetachKeys(opts.DetachKeys); err != nil {
		return err
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	if opts.Attach || opts.OpenStdin {
		if len(opts.Containers) > 1 {
			return errors.New("you cannot start and attach multiple containers at once")
		}
		return c.startAttached(ctx, api, opts)
	}
	var failed []string
	for _, name := range opts.Containers {
		if _, err := api.ContainerStart(ctx, name, client.ContainerStartOptions{}); err != nil {
			_, _ = fmt.Fprintln(c.errOut, err)
			failed = append(failed, name)
			continue
		}
		_, _ = fmt.Fprintln(c.out, name)
	}
	if len(failed) > 0 {
		return fmt.Errorf("Error: failed to start containers: %s", strings.Join(failed, ", "))
	}
	return nil
}

// startAttached is "start -a": like run, attach before start and wait for
// the next exit, whose status becomes berth's.
func (c *CLI) startAttached(ctx context.Context, api client.APIClient, opts StartOptions) error {
	res, err := api.ContainerInspect(ctx, opts.Containers[0], client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	ctr := res.Container
	if ctr.Config == nil {
		return fmt.Errorf("container %s: the daemon sent no Config", opts.Containers[0])
	}
	config := ctr.Config
	if opts.OpenStdin && config.Tty && !c.inIsTerminal() {
		return errors.New("the input device is not a TTY")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !config.Tty {
		defer proxySignals(ctx, api, ctr.ID)()
	}
	attachCfg := *config
	attachCfg.AttachStdin = opts.OpenStdin && config.OpenStdin
	attachCfg.AttachStdout, attachCfg.AttachStderr = true, true
	streamErr, err := c.attachStreams(ctx, api, ctr.ID, &attachCfg, opts.DetachKeys)
	if err != nil {
		return err
	}
	autoRemove := ctr.HostConfig != nil && ctr.HostConfig.AutoRemove
	waitCtx, cancelWait := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWait()
	status := waitExit(waitCtx, c, api, ctr.ID, autoRemove)
	if _, err := api.ContainerStart(ctx, ctr.ID, client.ContainerStartOptions{}); err != nil {
		cancel()
		<-streamErr
		return err
	}
	if config.Tty && c.outIsTerminal() {
		c.monitorTTYSize(ctx, containerResizer(api, ctr.ID))
	}
	if err := <-streamErr; err != nil {
		if isDetach(err) {
			return nil
		}
		return err
	}
	if code := <-status; code != 0 {
		return StatusError{StatusCode: code}
	}
	return nil
}
