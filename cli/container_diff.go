package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newDiffCommand(c *CLI) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Inspect changes to files or directories on a container's filesystem",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd.Context(), c, args[0])
		},
	}
	withAliases(cmd, "berth container diff", "berth diff")
	return cmd
}

func runDiff(ctx context.Context, c *CLI, name string) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ContainerDiff(ctx, name, client.ContainerDiffOptions{})
	if err != nil {
		return err
	}
	return writeChanges(c.out, res.Changes)
}

// writeChanges prints one "KIND PATH" line per change, as docker diff.
func writeChanges(w io.Writer, changes []container.FilesystemChange) error {
	for _, ch := range changes {
		kind := "?"
		switch ch.Kind {
		case container.ChangeModify:
			kind = "C"
		case container.ChangeAdd:
			kind = "A"
		case container.ChangeDelete:
			kind = "D"
		}
		if _, err := fmt.Fprintln(w, kind, ch.Path); err != nil {
			return err
		}
	}
	return nil
}
