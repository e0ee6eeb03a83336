package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// rfc3339NanoFixed is RFC 3339 with nanoseconds always nine digits long,
// so that event lines align.
const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

// EventsOptions are the options of "berth events".
type EventsOptions struct {
	Since   string
	Until   string
	Filters client.Filters
	Format  string
}

func newEventsCommand(c *CLI) *cobra.Command {
	var opts EventsOptions
	filters := newFilterValue()
	cmd := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Get real time events from the server",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Filters = filters.value()
			return runEvents(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth system events", "berth events")
	flags := cmd.Flags()
	flags.VarP(filters, "filter", "f", "Filter output based on conditions provided")
	flags.StringVar(&opts.Format, "format", "", inspectFormatHelp)
	flags.StringVar(&opts.Since, "since", "", "Show all events created since timestamp")
	flags.StringVar(&opts.Until, "until", "", "Stream events until this timestamp")
	return cmd
}

// runEvents prints events as they come until the daemon ends the stream
// (with --until) or the command is interrupted.
func runEvents(ctx context.Context, c *CLI, opts EventsOptions) error {
	tmpl, err := eventsTemplate(opts.Format)
	if err != nil {
		return StatusError{Status: "Error parsing format: " + err.Error(), StatusCode: exitTemplateError}
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := api.Events(ctx, client.EventsListOptions{Since: opts.Since, Until: opts.Until, Filters: opts.Filters})
	for {
		select {
		case msg := <-res.Messages:
			if err := writeEvent(c.out, msg, tmpl); err != nil {
				return err
			}
		case err := <-res.Err:
			if err == nil || errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// eventsTemplate parses --format; nil means docker's line format. The
// template is tried on an empty event so that a bad field fails at once.
func eventsTemplate(format string) (*template.Template, error) {
	switch format {
	case "":
		return nil, nil
	case jsonFormatKey:
		format = jsonTemplate
	}
	tmpl, err := parseTemplate(format)
	if err != nil {
		return nil, err
	}
	return tmpl, tmpl.Execute(io.Discard, &events.Message{})
}

// writeEvent prints one event, with tmpl or, when nil, as docker's line:
// "2026-11-26T10:00:00.000000000Z image tag sha256:... (name=x:1)".
func writeEvent(w io.Writer, msg events.Message, tmpl *template.Template) error {
	if tmpl != nil {
		err := tmpl.Execute(w, msg)
		_, _ = io.WriteString(w, "\n")
		return err
	}
	var b strings.Builder
	if msg.TimeNano != 0 {
		b.WriteString(time.Unix(0, msg.TimeNano).Format(rfc3339NanoFixed) + " ")
	} else if msg.Time != 0 {
		b.WriteString(time.Unix(msg.Time, 0).Format(rfc3339NanoFixed) + " ")
	}
	fmt.Fprintf(&b, "%s %s %s", msg.Type, msg.Action, msg.Actor.ID)
	if len(msg.Actor.Attributes) > 0 {
		var attrs []string
		for _, k := range slices.Sorted(maps.Keys(msg.Actor.Attributes)) {
			attrs = append(attrs, k+"="+msg.Actor.Attributes[k])
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(attrs, ", "))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
