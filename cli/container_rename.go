package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newRenameCommand(c *CLI) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRename(cmd.Context(), c, args[0], args[1])
		},
	}
	withAliases(cmd, "berth container rename", "berth rename")
	return cmd
}

func runRename(ctx context.Context, c *CLI, oldName, newName string) error {
	oldName, newName = strings.TrimSpace(oldName), strings.TrimSpace(newName)
	if oldName == "" || newName == "" {
		return errors.New("Error: Neither old nor new names may be empty")
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	if _, err := api.ContainerRename(ctx, oldName, client.ContainerRenameOptions{NewName: newName}); err != nil {
		_, _ = fmt.Fprintln(c.errOut, err)
		return fmt.Errorf("Error: failed to rename container named %s", oldName)
	}
	return nil
}
