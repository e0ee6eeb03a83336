package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ImageLoadOptions are the options of "berth load".
type ImageLoadOptions struct {
	Input    string // tar file; standard input when empty
	Quiet    bool
	Platform string
}

func newImageLoadCommand(c *CLI, use string) *cobra.Command {
	var opts ImageLoadOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: "Load an image from a tar archive or STDIN",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImageLoad(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth image load", "berth load")
	flags := cmd.Flags()
	flags.StringVarP(&opts.Input, "input", "i", "", "Read from tar archive file, instead of STDIN")
	flags.StringVar(&opts.Platform, "platform", "", `Load only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`)
	flags.BoolVarP(&opts.Quiet, "quiet", "q", false, "Suppress the load output")
	return cmd
}

func runImageLoad(ctx context.Context, c *CLI, opts ImageLoadOptions) error {
	input := c.in
	if opts.Input == "" {
		// Waiting for a tar typed on a terminal would hang; say so instead.
		if c.inIsTerminal() {
			return errors.New("requested load from stdin, but stdin is empty")
		}
	} else {
		f, err := os.Open(opts.Input)
		if err != nil {
			return err
		}
		defer f.Close()
		input = f
	}
	var loadOpts []client.ImageLoadOption
	if opts.Quiet || !c.outIsTerminal() {
		loadOpts = append(loadOpts, client.ImageLoadWithQuiet(true))
	}
	if opts.Platform != "" {
		p, err := parsePlatform(opts.Platform)
		if err != nil {
			return err
		}
		loadOpts = append(loadOpts, client.ImageLoadWithPlatforms(p))
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ImageLoad(ctx, input, loadOpts...)
	if err != nil {
		return err
	}
	defer res.Close()
	return displayResponse(res, c.out, c.streamOptions())
}

// displayResponse renders a response body that is a JSON message stream,
// and copies any other body (an old daemon's plain text) as it is.
func displayResponse(body io.Reader, w io.Writer, opts streamOptions) error {
	br := bufio.NewReader(body)
	if b, err := br.Peek(1); err == nil && b[0] != '{' {
		_, err := io.Copy(w, br)
		return err
	}
	return displayJSONStream(br, w, opts)
}
