package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ImagePruneOptions are the options of "berth image prune".
type ImagePruneOptions struct {
	All     bool
	Force   bool
	Filters client.Filters
}

const (
	pruneDanglingWarning = `WARNING! This will remove all dangling images.
Are you sure you want to continue?`
	pruneAllWarning = `WARNING! This will remove all images without at least one container associated to them.
Are you sure you want to continue?`
)

func newImagePruneCommand(c *CLI) *cobra.Command {
	var opts ImagePruneOptions
	filters := newFilterValue()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Filters = filters.value()
			return runImagePrune(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&opts.All, "all", "a", false, "Remove all unused images, not just dangling ones")
	flags.Var(filters, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	flags.BoolVarP(&opts.Force, "force", "f", false, "Do not prompt for confirmation")
	return cmd
}

func runImagePrune(ctx context.Context, c *CLI, opts ImagePruneOptions) error {
	warning := pruneDanglingWarning
	if opts.All {
		warning = pruneAllWarning
	}
	if !opts.Force && !confirm(c.in, c.out, warning) {
		return cancelledError{errors.New("image prune has been cancelled")}
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ImagePrune(ctx, opts.apiOptions())
	if err != nil {
		return err
	}
	writeImagePruneReport(c.out, res.Report)
	return nil
}

func (o ImagePruneOptions) apiOptions() client.ImagePruneOptions {
	filters := o.Filters.Clone()
	filters.Add("dangling", strconv.FormatBool(!o.All))
	return client.ImagePruneOptions{Filters: filters}
}

// writeImagePruneReport prints what was removed and the space reclaimed.
func writeImagePruneReport(w io.Writer, report image.PruneReport) {
	var reclaimed uint64
	if len(report.ImagesDeleted) > 0 {
		_, _ = fmt.Fprintln(w, "Deleted Images:")
		for _, item := range report.ImagesDeleted {
			if item.Untagged != "" {
				_, _ = fmt.Fprintln(w, "untagged:", item.Untagged)
			} else {
				_, _ = fmt.Fprintln(w, "deleted:", item.Deleted)
			}
		}
		_, _ = fmt.Fprintln(w)
		reclaimed = report.SpaceReclaimed
	}
	_, _ = fmt.Fprintln(w, "Total reclaimed space:", units.HumanSize(float64(reclaimed)))
}
