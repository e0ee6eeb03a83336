package cli

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ImageListOptions are the options of "berth images".
type ImageListOptions struct {
	Reference string // REPOSITORY[:TAG] to match, optional
	All       bool
	Quiet     bool
	NoTrunc   bool
	Digests   bool
	Format    string
	Filters   client.Filters
	// Now is the time ages are counted from; zero means the current time.
	Now time.Time
}

func newImageListCommand(c *CLI, use string, aliases ...string) *cobra.Command {
	var opts ImageListOptions
	filters := newFilterValue()
	cmd := &cobra.Command{
		Use:     use,
		Short:   "List images",
		Aliases: aliases,
		Args:    requiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				opts.Reference = args[0]
			}
			opts.Filters = filters.value()
			return runImageList(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth image ls", "berth image list", "berth images")
	flags := cmd.Flags()
	flags.BoolVarP(&opts.All, "all", "a", false, "Show all images (default hides intermediate images)")
	flags.BoolVar(&opts.Digests, "digests", false, "Show digests")
	flags.VarP(filters, "filter", "f", "Filter output based on conditions provided")
	flags.StringVar(&opts.Format, "format", "", formatHelp)
	flags.BoolVar(&opts.NoTrunc, "no-trunc", false, "Don't truncate output")
	flags.BoolVarP(&opts.Quiet, "quiet", "q", false, "Only show image IDs")
	return cmd
}

func runImageList(ctx context.Context, c *CLI, opts ImageListOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ImageList(ctx, opts.apiOptions())
	if err != nil {
		return err
	}
	return writeImageList(c.out, res.Items, opts)
}

func (o ImageListOptions) apiOptions() client.ImageListOptions {
	filters := o.Filters.Clone()
	if o.Reference != "" {
		filters.Add("reference", o.Reference)
	}
	return client.ImageListOptions{All: o.All, Filters: filters}
}

const (
	imageTableFormat           = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
	imageTableFormatWithDigest = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
)

// imageHeaders are the column titles of image tables.
var imageHeaders = map[string]string{
	"ID":           "IMAGE ID",
	"Repository":   "REPOSITORY",
	"Tag":          "TAG",
	"Digest":       "DIGEST",
	"CreatedSince": "CREATED",
	"CreatedAt":    "CREATED AT",
	"Size":         "SIZE",
	"Containers":   "CONTAINERS",
	"VirtualSize":  "SIZE",
	"SharedSize":   "SHARED SIZE",
	"UniqueSize":   "UNIQUE SIZE",
}

// imageListFormat resolves --format, -q and --digests to the format used.
func imageListFormat(format string, quiet, digests bool) listFormat {
	switch format {
	case "", tableFormatKey:
		switch {
		case quiet:
			return quietTemplate
		case digests:
			return imageTableFormatWithDigest
		default:
			return imageTableFormat
		}
	}
	f := listFormat(format)
	if f.isTable() && digests && !strings.Contains(format, "{{.Digest}}") {
		f += "\t{{.Digest}}"
	}
	return f
}

// writeImageList prints images as "berth images" does: one row per
// repository and tag (and digest with --digests), "<none>" for untagged.
func writeImageList(w io.Writer, images []image.Summary, opts ImageListOptions) error {
	format := imageListFormat(opts.Format, opts.Quiet, opts.Digests)
	showDigests := opts.Digests || strings.Contains(string(format), "{{.Digest}}")
	now := nowOr(opts.Now)
	var rows []any
	for _, img := range images {
		for _, r := range imageRows(img, opts.Digests, showDigests) {
			r.trunc, r.now = !opts.NoTrunc, now
			rows = append(rows, r)
		}
	}
	return writeList(w, format, imageHeaders, rows)
}

// imageRows splits an image into the rows of the list: one per tag,
// grouped by repository in the order the daemon gave them, then one per
// repository known only by digest. withDigests (--digests) gives every
// digest its own row; showDigests fills the Digest column.
func imageRows(img image.Summary, withDigests, showDigests bool) []*imageRow {
	if isDangling(img) {
		return []*imageRow{{img: img, repo: "<none>", tag: "<none>", digest: "<none>"}}
	}
	var repos []string
	tags := map[string][]string{}
	digests := map[string][]string{}
	for _, s := range img.RepoTags {
		ref, err := reference.ParseNormalizedNamed(s)
		if err != nil {
			continue
		}
		if t, ok := ref.(reference.NamedTagged); ok {
			name := reference.FamiliarName(ref)
			if _, seen := tags[name]; !seen {
				repos = append(repos, name)
			}
			tags[name] = append(tags[name], t.Tag())
		}
	}
	var digestRepos []string
	for _, s := range img.RepoDigests {
		ref, err := reference.ParseNormalizedNamed(s)
		if err != nil {
			continue
		}
		if c, ok := ref.(reference.Canonical); ok {
			name := reference.FamiliarName(ref)
			if _, seen := digests[name]; !seen {
				digestRepos = append(digestRepos, name)
			}
			digests[name] = append(digests[name], c.Digest().String())
		}
	}

	var rows []*imageRow
	add := func(repo, tag, digest string) {
		rows = append(rows, &imageRow{img: img, repo: repo, tag: tag, digest: digest})
	}
	for _, repo := range repos {
		ds := digests[repo]
		if !showDigests {
			ds = nil
		}
		for _, tag := range tags[repo] {
			if len(ds) == 0 {
				add(repo, tag, "<none>")
				continue
			}
			for _, d := range ds {
				add(repo, tag, d)
			}
		}
	}
	for _, repo := range digestRepos {
		if _, tagged := tags[repo]; tagged {
			continue
		}
		if !withDigests {
			add(repo, "<none>", "")
			continue
		}
		for _, d := range digests[repo] {
			add(repo, "<none>", d)
		}
	}
	return rows
}

func isDangling(img image.Summary) bool {
	if len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 {
		return true
	}
	return len(img.RepoTags) == 1 && img.RepoTags[0] == "<none>:<none>" &&
		len(img.RepoDigests) == 1 && img.RepoDigests[0] == "<none>@<none>"
}

// imageRow is one row of an image list; its methods are the fields
// a --format template can use.
type imageRow struct {
	img               image.Summary
	repo, tag, digest string
	trunc             bool
	now               time.Time
}

func (r *imageRow) MarshalJSON() ([]byte, error) { return marshalMethods(r) }

func (r *imageRow) ID() string {
	if r.trunc {
		return shortID(r.img.ID)
	}
	return r.img.ID
}

func (r *imageRow) Repository() string { return r.repo }
func (r *imageRow) Tag() string        { return r.tag }
func (r *imageRow) Digest() string     { return r.digest }

func (r *imageRow) CreatedSince() string {
	created := time.Unix(r.img.Created, 0)
	if created.IsZero() {
		return ""
	}
	return humanAge(created, nowOr(r.now))
}

func (r *imageRow) CreatedAt() string { return time.Unix(r.img.Created, 0).String() }
func (r *imageRow) Size() string      { return humanSize(r.img.Size) }

func (r *imageRow) Containers() string {
	if r.img.Containers == -1 {
		return "N/A"
	}
	return strconv.FormatInt(r.img.Containers, 10)
}

// VirtualSize is kept for old templates; it equals Size.
func (r *imageRow) VirtualSize() string { return units.HumanSize(float64(r.img.Size)) }

func (r *imageRow) SharedSize() string {
	if r.img.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(r.img.SharedSize))
}

func (r *imageRow) UniqueSize() string {
	if r.img.Size == -1 || r.img.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(r.img.Size - r.img.SharedSize))
}
