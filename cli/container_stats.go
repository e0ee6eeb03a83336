package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// StatsOptions are the options of "berth stats".
type StatsOptions struct {
	Containers []string
	All        bool
	NoStream   bool
	NoTrunc    bool
	Format     string
}

// statsRefresh is how often the live table is redrawn, as docker's.
const statsRefresh = 500 * time.Millisecond

func newStatsCommand(c *CLI) *cobra.Command {
	var opts StatsOptions
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Containers = args
			return runStats(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container stats", "berth stats")
	flags := cmd.Flags()
	flags.BoolVarP(&opts.All, "all", "a", false, "Show all containers (default shows just running)")
	flags.BoolVar(&opts.NoStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	flags.BoolVar(&opts.NoTrunc, "no-trunc", false, "Do not truncate output")
	flags.StringVar(&opts.Format, "format", "", formatHelp)
	return cmd
}

// runStats shows the containers named, or all running (-a: all) ones,
// picking up containers that start later. Each container has its own
// stats stream; the table is drawn from the latest samples.
func runStats(ctx context.Context, c *CLI, opts StatsOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	col := &statsCollector{api: api, stream: !opts.NoStream, latest: map[string]*statsEntry{}}
	names := opts.Containers
	if len(names) == 0 {
		if names, err = listForStats(ctx, api, opts.All); err != nil {
			return err
		}
	} else {
		for _, n := range names {
			if _, err := api.ContainerInspect(ctx, n, client.ContainerInspectOptions{}); err != nil {
				return err
			}
		}
	}
	for _, n := range names {
		col.watch(ctx, n)
	}
	format := listFormat(opts.Format)
	if opts.Format == "" || opts.Format == tableFormatKey {
		format = statsTableFormat
	}
	if opts.NoStream {
		col.wg.Wait()
		return writeStats(c.out, format, col.entries(names), !opts.NoTrunc)
	}
	return c.liveStats(ctx, col, opts, format, names)
}

// liveStats redraws the table until interrupted: in place on a terminal
// (cursor home, erase to the end of each line and of the screen), else as
// a new table each time.
func (c *CLI) liveStats(ctx context.Context, col *statsCollector, opts StatsOptions, format listFormat, names []string) error {
	tty := c.outIsTerminal()
	if tty {
		_, _ = fmt.Fprint(c.out, "\033[2J")
	}
	tick := time.NewTicker(statsRefresh)
	defer tick.Stop()
	for {
		if len(opts.Containers) == 0 {
			if current, err := listForStats(ctx, col.api, opts.All); err == nil {
				names = current
				for _, n := range names {
					col.watch(ctx, n)
				}
			}
		}
		var buf bytes.Buffer
		if err := writeStats(&buf, format, col.entries(names), !opts.NoTrunc); err != nil {
			return err
		}
		out := buf.String()
		if tty {
			out = "\033[H" + strings.ReplaceAll(out, "\n", "\033[K\n") + "\033[J"
		}
		_, _ = io.WriteString(c.out, out)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func listForStats(ctx context.Context, api *client.Client, all bool) ([]string, error) {
	res, err := api.ContainerList(ctx, client.ContainerListOptions{All: all})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(res.Items))
	for _, ctr := range res.Items { // newest first, as docker's table
		ids = append(ids, ctr.ID)
	}
	return ids, nil
}

func writeStats(w io.Writer, format listFormat, entries []statsEntry, trunc bool) error {
	rows := make([]any, 0, len(entries))
	for _, e := range entries {
		rows = append(rows, &statsRow{e: e, trunc: trunc})
	}
	return writeList(w, format, statsHeaders, rows)
}

// statsCollector keeps the latest sample of each watched container.
type statsCollector struct {
	api    *client.Client
	stream bool
	wg     sync.WaitGroup // the one-sample reads of --no-stream

	// mu guards latest.
	mu     sync.Mutex
	latest map[string]*statsEntry // by the name watched
}

// watch starts reading name's stats unless that already runs.
func (col *statsCollector) watch(ctx context.Context, name string) {
	col.mu.Lock()
	defer col.mu.Unlock()
	if _, ok := col.latest[name]; ok {
		return
	}
	col.latest[name] = &statsEntry{container: name, invalid: true}
	col.wg.Add(1)
	go func() {
		defer col.wg.Done()
		col.read(ctx, name)
	}()
}

// read decodes name's samples until the stream ends; with --no-stream the
// one sample carries the previous one, for the CPU percentage.
func (col *statsCollector) read(ctx context.Context, name string) {
	res, err := col.api.ContainerStats(ctx, name, client.ContainerStatsOptions{Stream: col.stream, IncludePreviousSample: true})
	if err != nil {
		return
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var s container.StatsResponse
		if err := dec.Decode(&s); err != nil {
			return
		}
		e := newStatsEntry(name, &s)
		col.mu.Lock()
		col.latest[name] = &e
		col.mu.Unlock()
	}
}

// entries returns the latest figures of names, in that order.
func (col *statsCollector) entries(names []string) []statsEntry {
	col.mu.Lock()
	defer col.mu.Unlock()
	out := make([]statsEntry, 0, len(names))
	for _, n := range names {
		if e, ok := col.latest[n]; ok {
			out = append(out, *e)
		}
	}
	return out
}
