// Command berthd is the Berth daemon: it serves the Docker Engine API.
package main

import (
	"fmt"
	"os"

	"github.com/berth/berth/daemon/config"
	"github.com/spf13/cobra"
)

func main() {
	var cfg config.Config
	var addRuntimes []string
	cmd := &cobra.Command{
		Use:           "berthd [OPTIONS]",
		Short:         "Berth daemon: a container engine that serves the Docker Engine API",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Finish(cmd.Flags(), addRuntimes); err != nil {
				return err
			}
			return run(&cfg)
		},
	}
	cfg.Flags(cmd.Flags(), &addRuntimes)
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "berthd:", err)
		os.Exit(1)
	}
}
