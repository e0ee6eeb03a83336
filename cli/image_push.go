package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ImagePushOptions are the options of "berth push".
type ImagePushOptions struct {
	Ref   string
	All   bool
	Quiet bool
}

func newImagePushCommand(c *CLI, use string) *cobra.Command {
	var opts ImagePushOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: "Upload an image to a registry",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return runImagePush(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth image push", "berth push")
	flags := cmd.Flags()
	flags.BoolVarP(&opts.All, "all-tags", "a", false, "Push all tags of an image to the repository")
	flags.BoolVarP(&opts.Quiet, "quiet", "q", false, "Suppress verbose output")
	flags.Bool("disable-content-trust", true, "Skip image signing")
	_ = flags.MarkHidden("disable-content-trust")
	return cmd
}

func runImagePush(ctx context.Context, c *CLI, opts ImagePushOptions) error {
	named, err := c.namedForTransfer(opts.Ref, opts.All, opts.Quiet)
	if err != nil {
		return err
	}
	auth, err := c.registryAuth(named)
	if err != nil {
		return err
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ImagePush(ctx, reference.FamiliarString(named), client.ImagePushOptions{All: opts.All, RegistryAuth: auth})
	if err != nil {
		return err
	}
	defer res.Close()
	var out io.Writer = c.out
	if opts.Quiet {
		out = io.Discard
	}
	if err := displayResponse(res, out, c.streamOptions()); err != nil {
		return err
	}
	if opts.Quiet {
		_, err = fmt.Fprintln(c.out, named.String())
	}
	return err
}
