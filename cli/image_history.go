package cli

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ImageHistoryOptions are the options of "berth history".
type ImageHistoryOptions struct {
	Image    string
	Platform string
	Human    bool
	Quiet    bool
	NoTrunc  bool
	Format   string
	// Now is the time ages are counted from; zero means the current time.
	Now time.Time
}

func newImageHistoryCommand(c *CLI, use string) *cobra.Command {
	var opts ImageHistoryOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: "Show the history of an image",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Image = args[0]
			return runImageHistory(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth image history", "berth history")
	flags := cmd.Flags()
	flags.StringVar(&opts.Format, "format", "", formatHelp)
	flags.BoolVarP(&opts.Human, "human", "H", true, "Print sizes and dates in human readable format")
	flags.BoolVar(&opts.NoTrunc, "no-trunc", false, "Don't truncate output")
	flags.StringVar(&opts.Platform, "platform", "", `Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`)
	flags.BoolVarP(&opts.Quiet, "quiet", "q", false, "Only show image IDs")
	return cmd
}

func runImageHistory(ctx context.Context, c *CLI, opts ImageHistoryOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	var historyOpts []client.ImageHistoryOption
	if opts.Platform != "" {
		p, err := parsePlatform(opts.Platform)
		if err != nil {
			return err
		}
		historyOpts = append(historyOpts, client.ImageHistoryWithPlatform(p))
	}
	res, err := api.ImageHistory(ctx, opts.Image, historyOpts...)
	if err != nil {
		return err
	}
	return writeImageHistory(c.out, res.Items, opts)
}

const (
	historyTableFormat         = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
	historyTableFormatNonHuman = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
)

var historyHeaders = map[string]string{
	"ID":           "IMAGE",
	"CreatedSince": "CREATED",
	"CreatedAt":    "CREATED AT",
	"CreatedBy":    "CREATED BY",
	"Size":         "SIZE",
	"Comment":      "COMMENT",
}

func historyFormat(format string, quiet, human bool) listFormat {
	if format != "" && format != tableFormatKey {
		return listFormat(format)
	}
	switch {
	case quiet:
		return quietTemplate
	case !human:
		return historyTableFormatNonHuman
	default:
		return historyTableFormat
	}
}

// writeImageHistory prints the layers of an image, newest first, as
// "berth history" does.
func writeImageHistory(w io.Writer, items []image.HistoryResponseItem, opts ImageHistoryOptions) error {
	now := nowOr(opts.Now)
	rows := make([]any, 0, len(items))
	for _, item := range items {
		rows = append(rows, &historyRow{item: item, trunc: !opts.NoTrunc, human: opts.Human, now: now})
	}
	return writeList(w, historyFormat(opts.Format, opts.Quiet, opts.Human), historyHeaders, rows)
}

// historyRow is one layer of an image's history.
type historyRow struct {
	item  image.HistoryResponseItem
	trunc bool
	human bool
	now   time.Time
}

func (r *historyRow) MarshalJSON() ([]byte, error) { return marshalMethods(r) }

// ID is the layer's image ID, or "<missing>" for a layer that has none
// (it was built elsewhere, or is not the top of an image).
func (r *historyRow) ID() string {
	switch {
	case r.item.ID == "":
		return "<missing>"
	case r.trunc:
		return shortID(r.item.ID)
	}
	return r.item.ID
}

func (r *historyRow) CreatedAt() string {
	return time.Unix(r.item.Created, 0).UTC().Format(time.RFC3339)
}

func (r *historyRow) CreatedSince() string {
	if !r.human {
		return r.CreatedAt()
	}
	return humanAge(time.Unix(r.item.Created, 0), nowOr(r.now))
}

func (r *historyRow) CreatedBy() string {
	createdBy := strings.ReplaceAll(r.item.CreatedBy, "\t", " ")
	if r.trunc {
		return ellipsis(createdBy, 45)
	}
	return createdBy
}

func (r *historyRow) Size() string {
	if r.human {
		return humanSize(r.item.Size)
	}
	return strconv.FormatInt(r.item.Size, 10)
}

func (r *historyRow) Comment() string { return r.item.Comment }
