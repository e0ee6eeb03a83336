package cli

import (
	"bytes"
	"context"
	"slices"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ImageInspectOptions are the options of "berth image inspect".
type ImageInspectOptions struct {
	Images   []string
	Format   string
	Platform string
}

func newImageInspectCommand(c *CLI) *cobra.Command {
	var opts ImageInspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] IMAGE [IMAGE...]",
		Short: "Display detailed information on one or more images",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Images = args
			return runImageInspect(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&opts.Format, "format", "f", "", inspectFormatHelp)
	flags.StringVar(&opts.Platform, "platform", "", `Inspect a specific platform of the multi-platform image.
If the image or the server is not multi-platform capable, the command will error out if the platform does not match.
'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)`)
	return cmd
}

func runImageInspect(ctx context.Context, c *CLI, opts ImageInspectOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	var inspectOpts []client.ImageInspectOption
	if opts.Platform != "" {
		p, err := parsePlatform(opts.Platform)
		if err != nil {
			return err
		}
		inspectOpts = append(inspectOpts, client.ImageInspectWithPlatform(&p))
	}
	return writeInspect(c.out, opts.Images, opts.Format, func(ref string) (any, []byte, error) {
		var raw bytes.Buffer
		res, err := api.ImageInspect(ctx, ref, append(slices.Clip(inspectOpts), client.ImageInspectWithRawResponse(&raw))...)
		if err != nil {
			return nil, nil, err
		}
		return res.InspectResponse, raw.Bytes(), nil
	})
}
