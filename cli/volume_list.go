package cli

import (
	"context"
	"io"
	"sort"

	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// VolumeListOptions are the options of "berth volume ls".
type VolumeListOptions struct {
	Quiet   bool
	Format  string
	Filters client.Filters
}

const (
	volumeTableFormat = "table {{.Driver}}\t{{.Name}}"
	volumeQuietFormat = "{{.Name}}"
)

func newVolumeListCommand(c *CLI) *cobra.Command {
	var opts VolumeListOptions
	filters := newFilterValue()
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Filters = filters.value()
			return runVolumeList(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.VarP(filters, "filter", "f", `Provide filter values (e.g. "dangling=true")`)
	flags.StringVar(&opts.Format, "format", "", formatHelp)
	flags.BoolVarP(&opts.Quiet, "quiet", "q", false, "Only display volume names")
	return cmd
}

func runVolumeList(ctx context.Context, c *CLI, opts VolumeListOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.VolumeList(ctx, client.VolumeListOptions{Filters: opts.Filters})
	if err != nil {
		return err
	}
	return writeVolumeList(c.out, res.Items, opts)
}

// volumeListFormat resolves --format and -q to the format used.
func volumeListFormat(format string, quiet bool) listFormat {
	switch {
	case quiet && (format == "" || format == tableFormatKey):
		return volumeQuietFormat
	case format == "" || format == tableFormatKey:
		return volumeTableFormat
	}
	return listFormat(format)
}

// writeVolumeList prints volumes sorted by name, as docker does.
func writeVolumeList(w io.Writer, vols []volume.Volume, opts VolumeListOptions) error {
	sort.SliceStable(vols, func(i, j int) bool { return vols[i].Name < vols[j].Name })
	rows := make([]any, 0, len(vols))
	for _, v := range vols {
		rows = append(rows, &volumeRow{v: v})
	}
	return writeList(w, volumeListFormat(opts.Format, opts.Quiet), volumeHeaders, rows)
}
