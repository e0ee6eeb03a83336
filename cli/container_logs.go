package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// LogsOptions are the options of "berth logs".
type LogsOptions struct {
	Container  string
	Follow     bool
	Since      string
	Until      string
	Timestamps bool
	Details    bool
	Tail       string
}

func newLogsCommand(c *CLI) *cobra.Command {
	var opts LogsOptions
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Container = args[0]
			return runLogs(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container logs", "berth logs")
	flags := cmd.Flags()
	flags.BoolVarP(&opts.Follow, "follow", "f", false, "Follow log output")
	flags.StringVar(&opts.Since, "since", "", `Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	flags.StringVar(&opts.Until, "until", "", `Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	flags.BoolVarP(&opts.Timestamps, "timestamps", "t", false, "Show timestamps")
	flags.BoolVar(&opts.Details, "details", false, "Show extra details provided to logs")
	flags.StringVarP(&opts.Tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	return cmd
}

// runLogs prints the container's logs; whether the stream is multiplexed
// depends on the container's Tty, read with inspect first.
func runLogs(ctx context.Context, c *CLI, opts LogsOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ContainerInspect(ctx, opts.Container, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	logOpts, err := opts.apiOptions(time.Now())
	if err != nil {
		return err
	}
	body, err := api.ContainerLogs(ctx, res.Container.ID, logOpts)
	if err != nil {
		return err
	}
	defer body.Close()
	tty := res.Container.Config != nil && res.Container.Config.Tty
	return copyLogs(c.out, c.errOut, body, tty)
}

// apiOptions converts --since and --until to Unix timestamps on the
// client, as docker does, relative to now.
func (o LogsOptions) apiOptions(now time.Time) (client.ContainerLogsOptions, error) {
	logOpts := client.ContainerLogsOptions{
		ShowStdout: true,
		ShowStderr: true,
		Timestamps: o.Timestamps,
		Follow:     o.Follow,
		Tail:       o.Tail,
		Details:    o.Details,
	}
	var err error
	if o.Since != "" {
		if logOpts.Since, err = parseTimestamp(o.Since, now); err != nil {
			return logOpts, fmt.Errorf(`invalid value for "since": %w`, err)
		}
	}
	if o.Until != "" {
		if logOpts.Until, err = parseTimestamp(o.Until, now); err != nil {
			return logOpts, fmt.Errorf(`invalid value for "until": %w`, err)
		}
	}
	return logOpts, nil
}

// copyLogs copies a log stream: raw for a tty, else demultiplexed.
func copyLogs(out, errOut io.Writer, body io.Reader, tty bool) error {
	var err error
	if tty {
		_, err = io.Copy(out, body)
	} else {
		_, err = stdcopy.StdCopy(out, errOut, body)
	}
	return err
}
