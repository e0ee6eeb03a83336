package cli

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// CommitOptions are the options of "berth commit".
type CommitOptions struct {
	Container, Reference string
	Author, Message      string
	Changes              []string
	Pause                bool
}

func newCommitCommand(c *CLI) *cobra.Command {
	var opts CommitOptions
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Args:  argsBetween(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Container = args[0]
			if len(args) > 1 {
				opts.Reference = args[1]
			}
			return runCommit(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container commit", "berth commit")
	flags := cmd.Flags()
	flags.SetInterspersed(false)
	flags.StringVarP(&opts.Author, "author", "a", "", `Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")`)
	flags.VarP(newListValue(&opts.Changes), "change", "c", "Apply Dockerfile instruction to the created image")
	flags.StringVarP(&opts.Message, "message", "m", "", "Commit message")
	flags.BoolVarP(&opts.Pause, "pause", "p", true, "Pause container during commit")
	return cmd
}

func runCommit(ctx context.Context, c *CLI, opts CommitOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ContainerCommit(ctx, opts.Container, client.ContainerCommitOptions{
		Reference: opts.Reference, Comment: opts.Message, Author: opts.Author, Changes: opts.Changes, NoPause: !opts.Pause,
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.out, res.ID)
	return err
}

// argsBetween accepts min to max arguments, with docker's messages.
func argsBetween(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := requiresMinArgs(min)(cmd, args); err != nil {
			return err
		}
		return requiresMaxArgs(max)(cmd, args)
	}
}
