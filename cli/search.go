package cli

import (
	"context"
	"io"
	"strconv"
	"strings"

	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// SearchOptions are the options of "berth search".
type SearchOptions struct {
	Term    string
	Filters client.Filters
	Limit   int
	NoTrunc bool
	Format  string
}

const searchTableFormat = "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}"

// searchHeaders are the column titles of "search".
var searchHeaders = map[string]string{
	"Name":        "NAME",
	"Description": "DESCRIPTION",
	"StarCount":   "STARS",
	"IsOfficial":  "OFFICIAL",
	"IsAutomated": "AUTOMATED",
}

func newSearchCommand(c *CLI) *cobra.Command {
	var opts SearchOptions
	filters := newFilterValue()
	cmd := &cobra.Command{
		Use:   "search [OPTIONS] TERM",
		Short: "Search Docker Hub for images",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Term, opts.Filters = args[0], filters.value()
			return runSearch(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.VarP(filters, "filter", "f", "Filter output based on conditions provided")
	flags.StringVar(&opts.Format, "format", "", "Pretty-print search using a Go template")
	flags.IntVar(&opts.Limit, "limit", 0, "Max number of search results")
	flags.BoolVar(&opts.NoTrunc, "no-trunc", false, "Don't truncate output")
	return topCommand(cmd, 9) // after logout, as in docker's help
}

func runSearch(ctx context.Context, c *CLI, opts SearchOptions) error {
	auth, err := c.searchAuth(opts.Term)
	if err != nil {
		return err
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ImageSearch(ctx, opts.Term, client.ImageSearchOptions{RegistryAuth: auth, Filters: opts.Filters, Limit: opts.Limit})
	if err != nil {
		return err
	}
	return writeSearch(c.out, res.Items, opts)
}

// searchAuth is the X-Registry-Auth of the registry a term searches: its
// first component when it looks like a host, else Docker Hub.
func (c *CLI) searchAuth(term string) (string, error) {
	server := dockerHubServer
	if first, _, ok := strings.Cut(term, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") && first != "docker.io" {
		server = first
	}
	ac, err := c.credentialsFor(server)
	if err != nil {
		return "", err
	}
	return encodeAuth(ac)
}

func writeSearch(w io.Writer, results []registrytypes.SearchResult, opts SearchOptions) error {
	format := listFormat(opts.Format)
	if opts.Format == "" || opts.Format == tableFormatKey {
		format = searchTableFormat
	}
	rows := make([]any, 0, len(results))
	for _, r := range results {
		rows = append(rows, &searchRow{r: r, trunc: !opts.NoTrunc})
	}
	return writeList(w, format, searchHeaders, rows)
}

// searchRow is one search result; its methods are the fields a --format
// template can use, as in "docker search".
type searchRow struct {
	r     registrytypes.SearchResult
	trunc bool
}

func (r *searchRow) MarshalJSON() ([]byte, error) { return marshalMethods(r) }

func (r *searchRow) Name() string      { return r.r.Name }
func (r *searchRow) StarCount() string { return strconv.Itoa(r.r.StarCount) }

// Description is on one line, cut at 45 characters unless --no-trunc.
func (r *searchRow) Description() string {
	d := strings.NewReplacer("\n", " ", "\r", " ").Replace(r.r.Description)
	if r.trunc {
		d = ellipsis(d, 45)
	}
	return d
}

func (r *searchRow) IsOfficial() string { return okMark(r.r.IsOfficial) }

// IsAutomated is deprecated in the API (always false) but still a column
// docker's templates may name.
func (r *searchRow) IsAutomated() string {
	//lint:ignore SA1019 kept for --format templates that use it
	return okMark(r.r.IsAutomated)
}

func okMark(b bool) string {
	if b {
		return "[OK]"
	}
	return ""
}
