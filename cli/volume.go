package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newVolumeCommand(c *CLI) *cobra.Command {
	cmd := newGroupCommand(c, "volume COMMAND", "Manage volumes")
	cmd.AddCommand(
		newVolumeCreateCommand(c),
		newVolumeInspectCommand(c),
		newVolumeListCommand(c),
		newVolumePruneCommand(c),
		newVolumeRemoveCommand(c),
	)
	return cmd
}

// VolumeCreateOptions are the options of "berth volume create".
type VolumeCreateOptions struct {
	Name       string
	Driver     string
	DriverOpts []string // KEY=VALUE
	Labels     []string // KEY[=VALUE]
}

func newVolumeCreateCommand(c *CLI) *cobra.Command {
	var opts VolumeCreateOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  requiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if opts.Name != "" {
					return StatusError{Status: "conflicting options: cannot specify a volume-name through both --name and as a positional arg", StatusCode: 1}
				}
				opts.Name = args[0]
			}
			return runVolumeCreate(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&opts.Driver, "driver", "d", "local", "Specify volume driver name")
	flags.StringVar(&opts.Name, "name", "", "Specify volume name")
	_ = flags.MarkHidden("name")
	flags.VarP(newListValue(&opts.DriverOpts), "opt", "o", "Set driver specific options")
	flags.Var(newCheckedList(&opts.Labels, validateLabel), "label", "Set metadata for a volume")
	return cmd
}

func runVolumeCreate(ctx context.Context, c *CLI, opts VolumeCreateOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.VolumeCreate(ctx, opts.apiOptions())
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintln(c.out, res.Volume.Name)
	return nil
}

func (o VolumeCreateOptions) apiOptions() client.VolumeCreateOptions {
	return client.VolumeCreateOptions{Name: o.Name, Driver: o.Driver, DriverOpts: kvMap(o.DriverOpts), Labels: kvMap(o.Labels)}
}

func newVolumeInspectCommand(c *CLI) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] VOLUME [VOLUME...]",
		Short: "Display detailed information on one or more volumes",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			return writeInspect(c.out, args, format, func(ref string) (any, []byte, error) {
				res, err := api.VolumeInspect(cmd.Context(), ref, client.VolumeInspectOptions{})
				return res.Volume, res.Raw, err
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", inspectFormatHelp)
	return cmd
}

// VolumeRemoveOptions are the options of "berth volume rm".
type VolumeRemoveOptions struct {
	Volumes []string
	Force   bool
}

func newVolumeRemoveCommand(c *CLI) *cobra.Command {
	var opts VolumeRemoveOptions
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more volumes",
		Long:    "Remove one or more volumes. You cannot remove a volume that is in use by a container.",
		Args:    requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Volumes = args
			return runVolumeRemove(cmd.Context(), c, opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Force, "force", "f", false, "Force the removal of one or more volumes")
	return cmd
}

// runVolumeRemove removes each volume, printing its name; failures are
// reported together at the end.
func runVolumeRemove(ctx context.Context, c *CLI, opts VolumeRemoveOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	var errs []string
	for _, name := range opts.Volumes {
		if _, err := api.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: opts.Force}); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		_, _ = fmt.Fprintln(c.out, name)
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

// VolumePruneOptions are the options of "berth volume prune".
type VolumePruneOptions struct {
	All     bool
	Force   bool
	Filters client.Filters
}

const (
	volumePruneWarning = `WARNING! This will remove anonymous local volumes not used by at least one container.
Are you sure you want to continue?`
	volumePruneAllWarning = `WARNING! This will remove all local volumes not used by at least one container.
Are you sure you want to continue?`
)

func newVolumePruneCommand(c *CLI) *cobra.Command {
	var opts VolumePruneOptions
	filters := newFilterValue()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused local volumes",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Filters = filters.value()
			return runVolumePrune(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&opts.All, "all", "a", false, "Remove all unused volumes, not just anonymous ones")
	flags.Var(filters, "filter", `Provide filter values (e.g. "label=<label>")`)
	flags.BoolVarP(&opts.Force, "force", "f", false, "Do not prompt for confirmation")
	return cmd
}

func runVolumePrune(ctx context.Context, c *CLI, opts VolumePruneOptions) error {
	warning := volumePruneWarning
	if opts.All {
		warning = volumePruneAllWarning
	}
	if !opts.Force && !confirm(c.in, c.out, warning) {
		return cancelledError{errors.New("volume prune has been cancelled")}
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.VolumePrune(ctx, client.VolumePruneOptions{All: opts.All, Filters: opts.Filters})
	if err != nil {
		return err
	}
	writeVolumePruneReport(c.out, res.Report)
	return nil
}

// writeVolumePruneReport prints the removed volumes and the space reclaimed.
func writeVolumePruneReport(w io.Writer, report volume.PruneReport) {
	if len(report.VolumesDeleted) > 0 {
		_, _ = fmt.Fprintln(w, "Deleted Volumes:")
		for _, name := range report.VolumesDeleted {
			_, _ = fmt.Fprintln(w, name)
		}
		_, _ = fmt.Fprintln(w)
	}
	_, _ = fmt.Fprintln(w, "Total reclaimed space:", units.HumanSize(float64(report.SpaceReclaimed)))
}
