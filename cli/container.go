package cli

import "github.com/spf13/cobra"

// newContainerCommand is "berth container", the container management
// commands.
func newContainerCommand(c *CLI) *cobra.Command {
	cmd := newGroupCommand(c, "container", "Manage containers")
	cmd.AddCommand(
		newAttachCommand(c),
		newCommitCommand(c),
		newCopyCommand(c),
		newCreateCommand(c),
		newDiffCommand(c),
		newExecCommand(c),
		newExportCommand(c),
		newContainerInspectCommand(c),
		newKillCommand(c),
		newLogsCommand(c),
		newContainerListCommand(c, "ls [OPTIONS]", "ps", "list"),
		newPauseCommand(c),
		newPortCommand(c),
		newContainerPruneCommand(c),
		newRenameCommand(c),
		newRestartCommand(c),
		newContainerRemoveCommand(c, "rm [OPTIONS] CONTAINER [CONTAINER...]", "remove"),
		newRunCommand(c),
		newStartCommand(c),
		newStopCommand(c),
		newTopCommand(c),
		newUnpauseCommand(c),
		newStatsCommand(c),
		newUpdateCommand(c),
		newWaitCommand(c),
	)
	return cmd
}

// containerShortcuts are the top-level container commands, as docker has
// them ("berth run" is "berth container run").
func containerShortcuts(c *CLI) []*cobra.Command {
	return []*cobra.Command{
		topCommand(newRunCommand(c), 1),
		topCommand(newExecCommand(c), 2),
		topCommand(newContainerListCommand(c, "ps [OPTIONS]"), 3),
		newAttachCommand(c),
		newCommitCommand(c),
		newCopyCommand(c),
		newCreateCommand(c),
		newDiffCommand(c),
		newExportCommand(c),
		newInspectCommand(c),
		newKillCommand(c),
		newLogsCommand(c),
		newPauseCommand(c),
		newPortCommand(c),
		newRenameCommand(c),
		newRestartCommand(c),
		newContainerRemoveCommand(c, "rm [OPTIONS] CONTAINER [CONTAINER...]"),
		newStartCommand(c),
		newStopCommand(c),
		newTopCommand(c),
		newUnpauseCommand(c),
		newStatsCommand(c),
		newUpdateCommand(c),
		newWaitCommand(c),
	}
}
