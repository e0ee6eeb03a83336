package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

// ImageRemoveOptions are the options of "berth rmi".
type ImageRemoveOptions struct {
	Images    []string
	Force     bool
	NoPrune   bool
	Platforms []string
}

func newImageRemoveCommand(c *CLI, use string, aliases ...string) *cobra.Command {
	var opts ImageRemoveOptions
	cmd := &cobra.Command{
		Use:     use,
		Short:   "Remove one or more images",
		Aliases: aliases,
		Args:    requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Images = args
			return runImageRemove(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth image rm", "berth image remove", "berth rmi")
	flags := cmd.Flags()
	flags.BoolVarP(&opts.Force, "force", "f", false, "Force removal of the image")
	flags.BoolVar(&opts.NoPrune, "no-prune", false, "Do not delete untagged parents")
	flags.StringSliceVar(&opts.Platforms, "platform", nil, `Remove only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`)
	return cmd
}

// runImageRemove removes each image in turn. It goes on past an image that
// cannot be removed and reports all failures at the end; with --force,
// images that do not exist are only reported and do not fail the command.
func runImageRemove(ctx context.Context, c *CLI, opts ImageRemoveOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	platforms, err := platformList(opts.Platforms)
	if err != nil {
		return err
	}
	apiOpts := client.ImageRemoveOptions{Force: opts.Force, PruneChildren: !opts.NoPrune, Platforms: platforms}
	var (
		errs  []error
		fatal bool
	)
	for _, ref := range opts.Images {
		res, err := api.ImageRemove(ctx, ref, apiOpts)
		if err != nil {
			if !cerrdefs.IsNotFound(err) {
				fatal = true
			}
			errs = append(errs, err)
			continue
		}
		writeImageRemoved(c.out, res.Items)
	}
	if err := errors.Join(errs...); err != nil {
		if !opts.Force || fatal {
			return err
		}
		_, _ = fmt.Fprintln(c.errOut, err)
	}
	return nil
}

// writeImageRemoved prints "Untagged: ..." and "Deleted: ..." lines.
func writeImageRemoved(w io.Writer, items []image.DeleteResponse) {
	for _, item := range items {
		if item.Deleted != "" {
			_, _ = fmt.Fprintln(w, "Deleted:", item.Deleted)
		} else {
			_, _ = fmt.Fprintln(w, "Untagged:", item.Untagged)
		}
	}
}

// platformList parses --platform values.
func platformList(values []string) ([]ocispec.Platform, error) {
	var out []ocispec.Platform
	for _, s := range values {
		p, err := parsePlatform(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
