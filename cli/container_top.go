package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newTopCommand(c *CLI) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTop(cmd.Context(), c, args[0], args[1:])
		},
	}
	withAliases(cmd, "berth container top", "berth top")
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// runTop lists the container's processes; psArgs go to ps on the daemon.
func runTop(ctx context.Context, c *CLI, name string, psArgs []string) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ContainerTop(ctx, name, client.ContainerTopOptions{Arguments: psArgs})
	if err != nil {
		return err
	}
	return writeTop(c.out, res)
}

// writeTop prints the processes as an aligned table, like docker.
func writeTop(w io.Writer, res client.ContainerTopResult) error {
	tw := tabwriter.NewWriter(w, 20, 1, 3, ' ', 0)
	_, _ = fmt.Fprintln(tw, strings.Join(res.Titles, "\t"))
	for _, p := range res.Processes {
		_, _ = fmt.Fprintln(tw, strings.Join(p, "\t"))
	}
	return tw.Flush()
}
