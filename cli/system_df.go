package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/distribution/reference"
	units "github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"
	"github.com/spf13/cobra"
)

// SystemDfOptions are the options of "berth system df".
type SystemDfOptions struct {
	Verbose bool
	Format  string
	// Now is the time ages are counted from; zero means the current time.
	Now time.Time
}

func newSystemDfCommand(c *CLI) *cobra.Command {
	var opts SystemDfOptions
	cmd := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show berth disk usage",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSystemDf(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&opts.Format, "format", "", formatHelp)
	flags.BoolVarP(&opts.Verbose, "verbose", "v", false, "Show detailed information on space usage")
	return cmd
}

func runSystemDf(ctx context.Context, c *CLI, opts SystemDfOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	du, err := api.DiskUsage(ctx, client.DiskUsageOptions{
		Containers: true,
		Images:     true,
		BuildCache: true,
		Volumes:    true,
		Verbose:    opts.Verbose,
	})
	if err != nil {
		return err
	}
	if versions.LessThan(api.ClientVersion(), "1.52") {
		du.Images.Reclaimable = legacyImagesReclaimable(du.Images)
	}
	return writeDiskUsage(c.out, du, opts)
}

// legacyImagesReclaimable is what docker counts as reclaimable when the
// daemon (API < 1.52) does not say: the space of all image layers less the
// unique size of the images that containers use. (The client's own
// estimate leaves out the layers images share.)
func legacyImagesReclaimable(du client.ImagesDiskUsage) int64 {
	var used int64
	for _, img := range du.Items {
		if img.Containers != 0 && img.Size != -1 && img.SharedSize != -1 {
			used += img.Size - img.SharedSize
		}
	}
	return du.TotalSize - used
}

const diskUsageTableFormat = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"

var diskUsageHeaders = map[string]string{
	"Type":        "TYPE",
	"TotalCount":  "TOTAL",
	"Active":      "ACTIVE",
	"Size":        "SIZE",
	"Reclaimable": "RECLAIMABLE",
}

// writeDiskUsage prints du as "berth system df" does: one summary line per
// kind of object, or with -v a table of each kind's objects.
func writeDiskUsage(w io.Writer, du client.DiskUsageResult, opts SystemDfOptions) error {
	if opts.Verbose {
		return writeDiskUsageVerbose(w, du, opts)
	}
	format := listFormat(opts.Format)
	if opts.Format == "" || opts.Format == tableFormatKey {
		format = diskUsageTableFormat
	}
	rows := []any{
		&diskUsageRow{kind: "Images", total: du.Images.TotalCount, active: du.Images.ActiveCount,
			size: du.Images.TotalSize, reclaimable: du.Images.Reclaimable, showPercent: true},
		&diskUsageRow{kind: "Containers", total: du.Containers.TotalCount, active: du.Containers.ActiveCount,
			size: du.Containers.TotalSize, reclaimable: du.Containers.Reclaimable, showPercent: true},
		&diskUsageRow{kind: "Local Volumes", total: du.Volumes.TotalCount, active: du.Volumes.ActiveCount,
			size: du.Volumes.TotalSize, reclaimable: du.Volumes.Reclaimable, showPercent: true},
		&diskUsageRow{kind: "Build Cache", total: du.BuildCache.TotalCount, active: du.BuildCache.ActiveCount,
			size: du.BuildCache.TotalSize, reclaimable: du.BuildCache.Reclaimable},
	}
	return writeList(w, format, diskUsageHeaders, rows)
}

// diskUsageRow is the summary line of one kind of object.
type diskUsageRow struct {
	kind                             string
	total, active, size, reclaimable int64
	showPercent                      bool
}

func (r *diskUsageRow) MarshalJSON() ([]byte, error) { return marshalMethods(r) }

func (r *diskUsageRow) Type() string       { return r.kind }
func (r *diskUsageRow) TotalCount() string { return strconv.FormatInt(r.total, 10) }
func (r *diskUsageRow) Active() string     { return strconv.FormatInt(r.active, 10) }
func (r *diskUsageRow) Size() string       { return units.HumanSize(float64(r.size)) }

func (r *diskUsageRow) Reclaimable() string {
	s := units.HumanSize(float64(r.reclaimable))
	if r.showPercent && r.size > 0 {
		s = fmt.Sprintf("%s (%v%%)", s, r.reclaimable*100/r.size)
	}
	return s
}

// diskUsageObjects is what a -v --format template sees.
type diskUsageObjects struct {
	Images     []*imageRow
	Containers []*containerRow
	Volumes    []*volumeRow
	BuildCache []*buildCacheRow
}

const (
	dfImageTableFormat      = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}"
	dfContainerTableFormat  = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}"
	dfVolumeTableFormat     = "table {{.Name}}\t{{.Links}}\t{{.Size}}"
	dfBuildCacheTableFormat = "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}"
)

func writeDiskUsageVerbose(w io.Writer, du client.DiskUsageResult, opts SystemDfOptions) error {
	table := opts.Format == "" || opts.Format == tableFormatKey
	trunc := opts.Format == "" || listFormat(opts.Format).isTable()
	objs := diskUsageRows(du, trunc, nowOr(opts.Now))
	if !table {
		tmpl, err := parseTemplate(listFormat(opts.Format).template())
		if err != nil {
			return fmt.Errorf("template parsing error: %w", err)
		}
		return tmpl.Execute(w, objs)
	}
	sections := []struct {
		title   string
		format  listFormat
		headers map[string]string
		rows    []any
	}{
		{"Images space usage:\n\n", dfImageTableFormat, imageHeaders, anySlice(objs.Images)},
		{"\nContainers space usage:\n\n", dfContainerTableFormat, containerHeaders, anySlice(objs.Containers)},
		{"\nLocal Volumes space usage:\n\n", dfVolumeTableFormat, volumeHeaders, anySlice(objs.Volumes)},
		{fmt.Sprintf("\nBuild cache usage: %s\n\n", units.HumanSize(float64(du.BuildCache.TotalSize))),
			dfBuildCacheTableFormat, buildCacheHeaders, anySlice(objs.BuildCache)},
	}
	for _, s := range sections {
		_, _ = io.WriteString(w, s.title)
		if err := writeList(w, s.format, s.headers, s.rows); err != nil {
			return err
		}
	}
	return nil
}

// diskUsageRows makes the rows of each kind of object; an image shows only
// its first tag.
func diskUsageRows(du client.DiskUsageResult, trunc bool, now time.Time) diskUsageObjects {
	objs := diskUsageObjects{
		Images:     []*imageRow{},
		Containers: []*containerRow{},
		Volumes:    []*volumeRow{},
		BuildCache: []*buildCacheRow{},
	}
	for _, img := range du.Images.Items {
		repo, tag := "<none>", "<none>"
		if len(img.RepoTags) > 0 && !isDangling(img) {
			ref, err := reference.ParseNormalizedNamed(img.RepoTags[0])
			if err != nil {
				continue
			}
			if t, ok := ref.(reference.NamedTagged); ok {
				repo, tag = reference.FamiliarName(ref), t.Tag()
			}
		}
		objs.Images = append(objs.Images, &imageRow{img: img, repo: repo, tag: tag, trunc: trunc, now: now})
	}
	for _, ctr := range du.Containers.Items {
		ctr.SizeRootFs = 0 // the virtual size is not shown here
		objs.Containers = append(objs.Containers, &containerRow{c: ctr, trunc: trunc, now: now})
	}
	for _, v := range du.Volumes.Items {
		objs.Volumes = append(objs.Volumes, &volumeRow{v: v})
	}
	sortBuildCache(du.BuildCache.Items)
	for _, bc := range du.BuildCache.Items {
		objs.BuildCache = append(objs.BuildCache, &buildCacheRow{v: bc, trunc: trunc, now: now})
	}
	return objs
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
