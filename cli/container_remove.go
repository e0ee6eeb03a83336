package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"
	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ContainerRemoveOptions are the options of "berth rm".
type ContainerRemoveOptions struct {
	Containers []string
	Force      bool
	Volumes    bool
	Links      bool
}

func newContainerRemoveCommand(c *CLI, use string, aliases ...string) *cobra.Command {
	var opts ContainerRemoveOptions
	cmd := &cobra.Command{
		Use:     use,
		Short:   "Remove one or more containers",
		Aliases: aliases,
		Args:    requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Containers = args
			return runContainerRemove(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container rm", "berth container remove", "berth rm")
	flags := cmd.Flags()
	flags.BoolVarP(&opts.Force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
	flags.BoolVarP(&opts.Links, "link", "l", false, "Remove the specified link")
	flags.BoolVarP(&opts.Volumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	return cmd
}

// runContainerRemove removes the containers in parallel and goes on past
// failures; with --force a container that does not exist is only reported
// and does not fail the command.
func runContainerRemove(ctx context.Context, c *CLI, opts ContainerRemoveOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	err = c.runEach(ctx, opts.Containers, func(ctx context.Context, name string) error {
		name = trimContainerName(name)
		if name == "" {
			return errors.New("Container name cannot be empty")
		}
		_, err := api.ContainerRemove(ctx, name, client.ContainerRemoveOptions{
			Force: opts.Force, RemoveVolumes: opts.Volumes, RemoveLinks: opts.Links,
		})
		return err
	})
	if err == nil || !opts.Force {
		return err
	}
	var fatal []error
	for _, e := range unjoin(err) {
		if cerrdefs.IsNotFound(e) {
			_, _ = fmt.Fprintln(c.errOut, e)
			continue
		}
		fatal = append(fatal, e)
	}
	return errors.Join(fatal...)
}

// unjoin returns the errors that errors.Join combined.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// ContainerPruneOptions are the options of "berth container prune".
type ContainerPruneOptions struct {
	Force   bool
	Filters client.Filters
}

const containerPruneWarning = `WARNING! This will remove all stopped containers.
Are you sure you want to continue?`

func newContainerPruneCommand(c *CLI) *cobra.Command {
	var opts ContainerPruneOptions
	filters := newFilterValue()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Filters = filters.value()
			return runContainerPrune(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.Var(filters, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	flags.BoolVarP(&opts.Force, "force", "f", false, "Do not prompt for confirmation")
	return cmd
}

func runContainerPrune(ctx context.Context, c *CLI, opts ContainerPruneOptions) error {
	if !opts.Force && !confirm(c.in, c.out, containerPruneWarning) {
		return cancelledError{errors.New("container prune has been cancelled")}
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ContainerPrune(ctx, client.ContainerPruneOptions{Filters: opts.Filters})
	if err != nil {
		return err
	}
	writeContainerPruneReport(c.out, res.Report)
	return nil
}

// writeContainerPruneReport prints the IDs removed and the space freed.
func writeContainerPruneReport(w io.Writer, report container.PruneReport) {
	var reclaimed uint64
	if len(report.ContainersDeleted) > 0 {
		_, _ = fmt.Fprintln(w, "Deleted Containers:")
		for _, id := range report.ContainersDeleted {
			_, _ = fmt.Fprintln(w, id)
		}
		_, _ = fmt.Fprintln(w)
		reclaimed = report.SpaceReclaimed
	}
	_, _ = fmt.Fprintln(w, "Total reclaimed space:", units.HumanSize(float64(reclaimed)))
}
