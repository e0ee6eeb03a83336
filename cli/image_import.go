package cli

import (
	"context"
	"os"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ImageImportOptions are the options of "berth import".
type ImageImportOptions struct {
	Source    string // file, URL, or "-" for standard input
	Reference string // REPOSITORY[:TAG], optional
	Changes   []string
	Message   string
	Platform  string
}

func newImageImportCommand(c *CLI, use string) *cobra.Command {
	var opts ImageImportOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Source = args[0]
			if len(args) > 1 {
				opts.Reference = args[1]
			}
			return runImageImport(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth image import", "berth import")
	flags := cmd.Flags()
	flags.VarP(newListValue(&opts.Changes), "change", "c", "Apply Dockerfile instruction to the created image")
	flags.StringVarP(&opts.Message, "message", "m", "", "Set commit message for imported image")
	flags.StringVar(&opts.Platform, "platform", c.getenv("DOCKER_DEFAULT_PLATFORM"), "Set platform if server is multi-platform capable")
	return cmd
}

func runImageImport(ctx context.Context, c *CLI, opts ImageImportOptions) error {
	var source client.ImageImportSource
	switch {
	case opts.Source == "-":
		source = client.ImageImportSource{Source: c.in, SourceName: "-"}
	case strings.HasPrefix(opts.Source, "https://"), strings.HasPrefix(opts.Source, "http://"):
		// the daemon downloads it
		source = client.ImageImportSource{SourceName: opts.Source}
	default:
		f, err := os.Open(opts.Source)
		if err != nil {
			return err
		}
		defer f.Close()
		source = client.ImageImportSource{Source: f, SourceName: "-"}
	}
	apiOpts := client.ImageImportOptions{Message: opts.Message, Changes: opts.Changes}
	if opts.Platform != "" {
		p, err := parsePlatform(opts.Platform)
		if err != nil {
			return err
		}
		apiOpts.Platform = p
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ImageImport(ctx, source, opts.Reference, apiOpts)
	if err != nil {
		return err
	}
	defer res.Close()
	return displayJSONStream(res, c.out, c.streamOptions())
}
