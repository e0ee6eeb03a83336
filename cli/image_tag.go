package cli

import (
	"context"
	"errors"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newImageTagCommand(c *CLI, use string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImageTag(cmd.Context(), c, client.ImageTagOptions{Source: args[0], Target: args[1]})
		},
	}
	return withAliases(cmd, "berth image tag", "berth tag")
}

func runImageTag(ctx context.Context, c *CLI, opts client.ImageTagOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	_, err = api.ImageTag(ctx, opts)
	if err != nil && strings.HasPrefix(err.Error(), "error parsing reference") {
		// docker words it with a capital, as the client once did
		return errors.New("E" + err.Error()[1:])
	}
	return err
}
