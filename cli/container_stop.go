package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// containerAction is a call made for each container named on the command
// line, such as stop or pause.
type containerAction func(ctx context.Context, container string) error

// runEach runs action for every container, in parallel like docker (at
// most 50 at a time), prints each name that succeeded in the order given,
// and returns the failures joined: one line each on standard error, exit
// status 1.
func (c *CLI) runEach(ctx context.Context, containers []string, action containerAction) error {
	errs := make([]error, len(containers))
	sem := make(chan struct{}, 50)
	var wg sync.WaitGroup
	for i, name := range containers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = action(ctx, name)
		}()
	}
	wg.Wait()
	for i, name := range containers {
		if errs[i] == nil {
			_, _ = fmt.Fprintln(c.out, name)
		}
	}
	return errors.Join(errs...)
}

// StopOptions are the options of "berth stop" and "berth restart".
type StopOptions struct {
	Containers []string
	Signal     string
	Timeout    *int // nil: the container's own stop timeout
}

func newStopCommand(c *CLI) *cobra.Command {
	return newStopLikeCommand(c, "stop", "Stop one or more running containers", runStop)
}

func newRestartCommand(c *CLI) *cobra.Command {
	return newStopLikeCommand(c, "restart", "Restart one or more containers", runRestart)
}

func newStopLikeCommand(c *CLI, name, short string, run func(context.Context, *CLI, StopOptions) error) *cobra.Command {
	var (
		opts    StopOptions
		timeout int
	)
	cmd := &cobra.Command{
		Use:   name + " [OPTIONS] CONTAINER [CONTAINER...]",
		Short: short,
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Containers = args
			if cmd.Flags().Changed("time") || cmd.Flags().Changed("timeout") {
				opts.Timeout = &timeout
			}
			return run(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container "+name, "berth "+name)
	flags := cmd.Flags()
	flags.StringVarP(&opts.Signal, "signal", "s", "", "Signal to send to the container")
	flags.IntVarP(&timeout, "time", "t", 0, "Seconds to wait before killing the container")
	flags.IntVar(&timeout, "timeout", 0, "Seconds to wait before killing the container")
	_ = flags.MarkHidden("timeout")
	return cmd
}

func runStop(ctx context.Context, c *CLI, opts StopOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	return c.runEach(ctx, opts.Containers, func(ctx context.Context, name string) error {
		_, err := api.ContainerStop(ctx, name, client.ContainerStopOptions{Signal: opts.Signal, Timeout: opts.Timeout})
		return err
	})
}

// runRestart restarts the containers one after the other, as docker does.
func runRestart(ctx context.Context, c *CLI, opts StopOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range opts.Containers {
		if _, err := api.ContainerRestart(ctx, name, client.ContainerRestartOptions{Signal: opts.Signal, Timeout: opts.Timeout}); err != nil {
			errs = append(errs, err)
			continue
		}
		_, _ = fmt.Fprintln(c.out, name)
	}
	return errors.Join(errs...)
}

// KillOptions are the options of "berth kill".
type KillOptions struct {
	Containers []string
	Signal     string
}

func newKillCommand(c *CLI) *cobra.Command {
	var opts KillOptions
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Containers = args
			return runKill(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container kill", "berth kill")
	cmd.Flags().StringVarP(&opts.Signal, "signal", "s", "", "Signal to send to the container")
	return cmd
}

func runKill(ctx context.Context, c *CLI, opts KillOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	return c.runEach(ctx, opts.Containers, func(ctx context.Context, name string) error {
		_, err := api.ContainerKill(ctx, name, client.ContainerKillOptions{Signal: opts.Signal})
		return err
	})
}

func newPauseCommand(c *CLI) *cobra.Command {
	return newSimpleActionCommand(c, "pause", "Pause all processes within one or more containers",
		func(ctx context.Context, c *CLI, name string) error {
			api, err := c.Client()
			if err == nil {
				_, err = api.ContainerPause(ctx, name, client.ContainerPauseOptions{})
			}
			return err
		})
}

func newUnpauseCommand(c *CLI) *cobra.Command {
	return newSimpleActionCommand(c, "unpause", "Unpause all processes within one or more containers",
		func(ctx context.Context, c *CLI, name string) error {
			api, err := c.Client()
			if err == nil {
				_, err = api.ContainerUnpause(ctx, name, client.ContainerUnpauseOptions{})
			}
			return err
		})
}

// newSimpleActionCommand is a command without options that does one call
// per container, such as pause.
func newSimpleActionCommand(c *CLI, name, short string, action func(context.Context, *CLI, string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   name + " CONTAINER [CONTAINER...]",
		Short: short,
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := c.Client(); err != nil {
				return err
			}
			return c.runEach(cmd.Context(), args, func(ctx context.Context, ctr string) error {
				return action(ctx, c, ctr)
			})
		},
	}
	withAliases(cmd, "berth container "+name, "berth "+name)
	return cmd
}

// trimContainerName drops the "/" docker allows around names.
func trimContainerName(name string) string { return strings.Trim(name, "/") }
