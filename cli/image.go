package cli

import "github.com/spf13/cobra"

// newImageCommand is "berth image", the image management commands.
func newImageCommand(c *CLI) *cobra.Command {
	cmd := newGroupCommand(c, "image", "Manage images")
	cmd.AddCommand(
		newBuildCommand(c, "build [OPTIONS] PATH | URL | -"),
		newImageHistoryCommand(c, "history [OPTIONS] IMAGE"),
		newImageImportCommand(c, "import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]"),
		newImageInspectCommand(c),
		newImageLoadCommand(c, "load [OPTIONS]"),
		newImageListCommand(c, "ls [OPTIONS] [REPOSITORY[:TAG]]", "list"),
		newImagePruneCommand(c),
		newImagePullCommand(c, "pull [OPTIONS] NAME[:TAG|@DIGEST]"),
		newImagePushCommand(c, "push [OPTIONS] NAME[:TAG]"),
		newImageRemoveCommand(c, "rm [OPTIONS] IMAGE [IMAGE...]", "rmi", "remove"),
		newImageSaveCommand(c, "save [OPTIONS] IMAGE [IMAGE...]"),
		newImageTagCommand(c, "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]"),
	)
	return cmd
}

// Top-level shortcuts of image commands, as docker has them.

func newImagesCommand(c *CLI) *cobra.Command {
	return topCommand(newImageListCommand(c, "images [OPTIONS] [REPOSITORY[:TAG]]"), 7)
}

func newHistoryCommand(c *CLI) *cobra.Command {
	return newImageHistoryCommand(c, "history [OPTIONS] IMAGE")
}

func newImportCommand(c *CLI) *cobra.Command {
	return newImageImportCommand(c, "import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]")
}

func newLoadCommand(c *CLI) *cobra.Command { return newImageLoadCommand(c, "load [OPTIONS]") }

func newRemoveCommand(c *CLI) *cobra.Command {
	return newImageRemoveCommand(c, "rmi [OPTIONS] IMAGE [IMAGE...]")
}

func newSaveCommand(c *CLI) *cobra.Command {
	return newImageSaveCommand(c, "save [OPTIONS] IMAGE [IMAGE...]")
}

func newTagCommand(c *CLI) *cobra.Command {
	return newImageTagCommand(c, "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")
}

func newPullCommand(c *CLI) *cobra.Command {
	return topCommand(newImagePullCommand(c, "pull [OPTIONS] NAME[:TAG|@DIGEST]"), 5)
}

func newPushCommand(c *CLI) *cobra.Command {
	return topCommand(newImagePushCommand(c, "push [OPTIONS] NAME[:TAG]"), 6)
}
