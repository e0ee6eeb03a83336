package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const (
	defaultContainerTableFormat = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
	rawContainerFormat          = "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n"
)

// ContainerListOptions are the options of "berth ps".
type ContainerListOptions struct {
	Quiet       bool
	Size        bool
	SizeChanged bool // --size given, possibly as false
	All         bool
	NoTrunc     bool
	Latest      bool
	Last        int
	Format      string
	Filters     client.Filters
}

func newContainerListCommand(c *CLI, use string, aliases ...string) *cobra.Command {
	var opts ContainerListOptions
	filters := newFilterValue()
	cmd := &cobra.Command{
		Use:     use,
		Short:   "List containers",
		Aliases: aliases,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Filters = filters.value()
			opts.SizeChanged = cmd.Flags().Changed("size")
			return runContainerList(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container ls", "berth container list", "berth container ps", "berth ps")
	flags := cmd.Flags()
	flags.BoolVarP(&opts.Quiet, "quiet", "q", false, "Only display container IDs")
	flags.BoolVarP(&opts.Size, "size", "s", false, "Display total file sizes")
	flags.BoolVarP(&opts.All, "all", "a", false, "Show all containers (default shows just running)")
	flags.BoolVar(&opts.NoTrunc, "no-trunc", false, "Don't truncate output")
	flags.BoolVarP(&opts.Latest, "latest", "l", false, "Show the latest created container (includes all states)")
	flags.IntVarP(&opts.Last, "last", "n", -1, "Show n last created containers (includes all states)")
	flags.StringVar(&opts.Format, "format", "", formatHelp)
	flags.VarP(filters, "filter", "f", "Filter output based on conditions provided")
	return cmd
}

func runContainerList(ctx context.Context, c *CLI, opts ContainerListOptions) error {
	if opts.Format != "" && opts.Quiet {
		_, _ = fmt.Fprintln(c.errOut, "WARNING: Ignoring custom format, because both --format and --quiet are set.")
	}
	listOpts, err := opts.apiOptions()
	if err != nil {
		return err
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ContainerList(ctx, listOpts)
	if err != nil {
		return err
	}
	return writeContainerList(c.out, res.Items, opts, listOpts.Size, time.Now())
}

// apiOptions are the list request: -n N or -l limit it to the latest
// containers; a --format that shows .Size asks the daemon for sizes.
func (o ContainerListOptions) apiOptions() (client.ContainerListOptions, error) {
	listOpts := client.ContainerListOptions{All: o.All, Limit: o.Last, Size: o.Size, Filters: o.Filters}
	if o.Latest && o.Last == -1 {
		listOpts.Limit = 1
	}
	if o.Format != "" {
		tmpl, err := parseTemplate(listFormat(o.Format).template())
		if err != nil {
			return listOpts, fmt.Errorf("failed to parse template: %w", err)
		}
		if err := tmpl.Execute(io.Discard, &containerRow{}); err != nil {
			return listOpts, fmt.Errorf("failed to execute template: %w", err)
		}
		if !o.Quiet && !o.Size && !o.SizeChanged && strings.Contains(o.Format, ".Size") {
			listOpts.Size = true
		}
	}
	return listOpts, nil
}

// containerFormat resolves --format for ps: the default table (with a
// SIZE column when sizes were asked for), "raw", or the user's template;
// -q prints IDs only.
func containerFormat(format string, quiet, size bool) listFormat {
	switch format {
	case "", tableFormatKey:
		if quiet {
			return quietTemplate
		}
		if size {
			return defaultContainerTableFormat + "\t{{.Size}}"
		}
		return defaultContainerTableFormat
	case "raw":
		if quiet {
			return "container_id: {{.ID}}"
		}
		if size {
			return rawContainerFormat + "size: {{.Size}}\n"
		}
		return rawContainerFormat
	}
	if quiet {
		return quietTemplate
	}
	return listFormat(format)
}

// writeContainerList prints containers as "docker ps" does; now is the
// time that "Created" ages are counted from.
func writeContainerList(w io.Writer, containers []container.Summary, opts ContainerListOptions, size bool, now time.Time) error {
	rows := make([]any, 0, len(containers))
	for _, ctr := range containers {
		rows = append(rows, &containerRow{c: ctr, trunc: !opts.NoTrunc, now: now})
	}
	return writeList(w, containerFormat(opts.Format, opts.Quiet, size), containerHeaders, rows)
}
