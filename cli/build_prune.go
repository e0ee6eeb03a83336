package cli

import (
	"context"
	"errors"
	"fmt"

	units "github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// BuilderPruneOptions are the options of "berth builder prune".
type BuilderPruneOptions struct {
	All         bool
	Force       bool
	KeepStorage int64
	Filters     client.Filters
}

const (
	builderPruneDanglingWarning = "WARNING! This will remove all dangling build cache. Are you sure you want to continue?"
	builderPruneAllWarning      = "WARNING! This will remove all build cache. Are you sure you want to continue?"
)

// newBuilderCommand is "berth builder", docker's build management commands.
func newBuilderCommand(c *CLI) *cobra.Command {
	cmd := newGroupCommand(c, "builder", "Manage builds")
	cmd.AddCommand(newBuildCommand(c, "build [OPTIONS] PATH | URL | -"), newBuilderPruneCommand(c))
	return cmd
}

func newBuilderPruneCommand(c *CLI) *cobra.Command {
	var opts BuilderPruneOptions
	var keep memBytes
	filters := newFilterValue()
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove build cache",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Filters = filters.value()
			opts.KeepStorage = int64(keep)
			return runBuilderPrune(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&opts.All, "all", "a", false, "Remove all unused build cache, not just dangling ones")
	flags.Var(filters, "filter", `Provide filter values (e.g. "until=24h")`)
	flags.BoolVarP(&opts.Force, "force", "f", false, "Do not prompt for confirmation")
	flags.Var(&keep, "keep-storage", "Amount of disk space to keep for cache")
	return cmd
}

func runBuilderPrune(ctx context.Context, c *CLI, opts BuilderPruneOptions) error {
	warning := builderPruneDanglingWarning
	if opts.All {
		warning = builderPruneAllWarning
	}
	if !opts.Force && !confirm(c.in, c.out, warning) {
		return cancelledError{errors.New("builder prune has been cancelled")}
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.BuildCachePrune(ctx, client.BuildCachePruneOptions{All: opts.All, ReservedSpace: opts.KeepStorage, Filters: opts.Filters})
	if err != nil {
		return err
	}
	if len(res.Report.CachesDeleted) > 0 {
		_, _ = fmt.Fprintln(c.out, "Deleted build cache objects:")
		for _, id := range res.Report.CachesDeleted {
			_, _ = fmt.Fprintln(c.out, id)
		}
		_, _ = fmt.Fprintln(c.out)
	}
	_, _ = fmt.Fprintln(c.out, "Total reclaimed space:", units.HumanSize(float64(res.Report.SpaceReclaimed)))
	return nil
}
