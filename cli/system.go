package cli

import "github.com/spf13/cobra"

// newSystemCommand is "berth system", the engine-wide commands.
func newSystemCommand(c *CLI) *cobra.Command {
	cmd := newGroupCommand(c, "system", "Manage Berth")
	cmd.AddCommand(
		newSystemDfCommand(c),
		newEventsCommand(c),
		newInfoCommand(c),
	)
	return cmd
}
