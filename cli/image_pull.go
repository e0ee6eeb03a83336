package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

// ImagePullOptions are the options of "berth pull".
type ImagePullOptions struct {
	Ref      string
	All      bool
	Quiet    bool
	Platform string
}

func newImagePullCommand(c *CLI, use string) *cobra.Command {
	var opts ImagePullOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: "Download an image from a registry",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return runImagePull(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth image pull", "berth pull")
	flags := cmd.Flags()
	flags.BoolVarP(&opts.All, "all-tags", "a", false, "Download all tagged images in the repository")
	flags.BoolVarP(&opts.Quiet, "quiet", "q", false, "Suppress verbose output")
	flags.StringVar(&opts.Platform, "platform", c.getenv("DOCKER_DEFAULT_PLATFORM"), "Set platform if server is multi-platform capable")
	flags.Bool("disable-content-trust", true, "Skip image verification")
	_ = flags.MarkHidden("disable-content-trust")
	return cmd
}

// namedForTransfer reads the reference of a pull or push: with all, a bare
// repository; else "latest" is added, saying so unless quiet.
func (c *CLI) namedForTransfer(ref string, all, quiet bool) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, err
	}
	if all && !reference.IsNameOnly(named) {
		return nil, errors.New("tag can't be used with --all-tags/-a")
	}
	if !all && reference.IsNameOnly(named) {
		named = reference.TagNameOnly(named)
		if !quiet {
			_, _ = fmt.Fprintln(c.out, "Using default tag: latest")
		}
	}
	return named, nil
}

func runImagePull(ctx context.Context, c *CLI, opts ImagePullOptions) error {
	named, err := c.namedForTransfer(opts.Ref, opts.All, opts.Quiet)
	if err != nil {
		return err
	}
	auth, err := c.registryAuth(named)
	if err != nil {
		return err
	}
	pullOpts := client.ImagePullOptions{All: opts.All, RegistryAuth: auth}
	if opts.Platform != "" {
		p, err := parsePlatform(opts.Platform)
		if err != nil {
			return err
		}
		pullOpts.Platforms = []ocispec.Platform{p}
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ImagePull(ctx, named.String(), pullOpts)
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
	_, err = fmt.Fprintln(c.out, named.String())
	return err
}
