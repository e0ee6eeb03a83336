package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ExportOptions are the options of "berth export".
type ExportOptions struct {
	Container string
	Output    string // file; standard output when empty
}

func newExportCommand(c *CLI) *cobra.Command {
	var opts ExportOptions
	cmd := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Container = args[0]
			return runExport(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container export", "berth export")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

func runExport(ctx context.Context, c *CLI, opts ExportOptions) error {
	if opts.Output == "" && c.outIsTerminal() {
		return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ContainerExport(ctx, opts.Container, client.ContainerExportOptions{})
	if err != nil {
		return err
	}
	defer res.Close()
	if opts.Output == "" {
		_, err = io.Copy(c.out, res)
		return err
	}
	if err := writeFileAtomic(opts.Output, res); err != nil {
		return fmt.Errorf("failed to export container: %w", err)
	}
	return nil
}
