package cli

import (
	"context"
	"io"
	"sort"
	"strconv"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// NetworkListOptions are the options of "berth network ls".
type NetworkListOptions struct {
	Quiet   bool
	NoTrunc bool
	Format  string
	Filters client.Filters
}

const networkTableFormat = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"

// networkHeaders are the column titles of network tables.
var networkHeaders = map[string]string{
	"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv4": "IPV4", "IPv6": "IPV6",
	"Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT",
}

func newNetworkListCommand(c *CLI) *cobra.Command {
	var opts NetworkListOptions
	filters := newFilterValue()
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Filters = filters.value()
			return runNetworkList(cmd.Context(), c, opts)
		},
	}
	f := cmd.Flags()
	f.VarP(filters, "filter", "f", `Provide filter values (e.g. "driver=bridge")`)
	f.StringVar(&opts.Format, "format", "", formatHelp)
	f.BoolVar(&opts.NoTrunc, "no-trunc", false, "Do not truncate the output")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "Only display network IDs")
	return cmd
}

func runNetworkList(ctx context.Context, c *CLI, opts NetworkListOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.NetworkList(ctx, client.NetworkListOptions{Filters: opts.Filters})
	if err != nil {
		return err
	}
	return writeNetworkList(c.out, res.Items, opts)
}

// writeNetworkList prints networks sorted by name, as docker does.
func writeNetworkList(w io.Writer, nets []network.Summary, opts NetworkListOptions) error {
	sort.SliceStable(nets, func(i, j int) bool { return nets[i].Name < nets[j].Name })
	format := listFormat(opts.Format)
	switch {
	case opts.Quiet && (opts.Format == "" || opts.Format == tableFormatKey):
		format = quietTemplate
	case opts.Format == "" || opts.Format == tableFormatKey:
		format = networkTableFormat
	}
	rows := make([]any, 0, len(nets))
	for _, n := range nets {
		rows = append(rows, &networkRow{n: n, trunc: !opts.NoTrunc})
	}
	return writeList(w, format, networkHeaders, rows)
}

// networkRow is one network of a list; its methods are the fields a
// --format template can use, as in "docker network ls".
type networkRow struct {
	n     network.Summary
	trunc bool
}

func (r *networkRow) MarshalJSON() ([]byte, error) { return marshalMethods(r) }

func (r *networkRow) ID() string {
	if r.trunc {
		return shortID(r.n.ID)
	}
	return r.n.ID
}
func (r *networkRow) Name() string      { return r.n.Name }
func (r *networkRow) Driver() string    { return r.n.Driver }
func (r *networkRow) Scope() string     { return r.n.Scope }
func (r *networkRow) IPv4() string      { return strconv.FormatBool(r.n.EnableIPv4) }
func (r *networkRow) IPv6() string      { return strconv.FormatBool(r.n.EnableIPv6) }
func (r *networkRow) Internal() string  { return strconv.FormatBool(r.n.Internal) }
func (r *networkRow) Labels() string    { return joinLabels(r.n.Labels) }
func (r *networkRow) CreatedAt() string { return r.n.Created.String() }

// Label is the value of one label, for templates: {{.Label "name"}}.
func (r *networkRow) Label(name string) string { return r.n.Labels[name] }
