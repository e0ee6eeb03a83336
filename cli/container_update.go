package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// UpdateOptions are the options of "berth update".
type UpdateOptions struct {
	Containers    []string
	Resources     container.Resources
	RestartPolicy *container.RestartPolicy
}

// updateFlags holds the flag values before they become UpdateOptions.
type updateFlags struct {
	blkioWeight                          uint16
	cpuPeriod, cpuQuota, cpuShares       int64
	cpuRtPeriod, cpuRtRuntime, pidsLimit int64
	cpus                                 nanoCPUs
	cpusetCPUs, cpusetMems, restart      string
	memory, memoryReservation            memBytes
	memorySwap                           memSwapBytes
}

func newUpdateCommand(c *CLI) *cobra.Command {
	var f updateFlags
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().NFlag() == 0 {
				return errors.New("you must provide one or more flags when using this command")
			}
			opts, err := f.options(cmd, args)
			if err != nil {
				return err
			}
			return runUpdate(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container update", "berth update")
	fs := cmd.Flags()
	fs.Uint16Var(&f.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	fs.Int64Var(&f.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	fs.Int64Var(&f.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	fs.Int64Var(&f.cpuRtPeriod, "cpu-rt-period", 0, "Limit the CPU real-time period in microseconds")
	fs.Int64Var(&f.cpuRtRuntime, "cpu-rt-runtime", 0, "Limit the CPU real-time runtime in microseconds")
	fs.Int64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Var(&f.cpus, "cpus", "Number of CPUs")
	fs.StringVar(&f.cpusetCPUs, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.StringVar(&f.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	fs.VarP(&f.memory, "memory", "m", "Memory limit")
	fs.Var(&f.memoryReservation, "memory-reservation", "Memory soft limit")
	fs.Var(&f.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	fs.Int64Var(&f.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fs.StringVar(&f.restart, "restart", "", "Restart policy to apply when a container exits")
	return cmd
}

// options builds the update body as the docker CLI does: the pids limit
// and restart policy only when given.
func (f *updateFlags) options(cmd *cobra.Command, args []string) (UpdateOptions, error) {
	opts := UpdateOptions{Containers: args, Resources: container.Resources{
		BlkioWeight: f.blkioWeight, CPUPeriod: f.cpuPeriod, CPUQuota: f.cpuQuota, CPUShares: f.cpuShares,
		CPURealtimePeriod: f.cpuRtPeriod, CPURealtimeRuntime: f.cpuRtRuntime, NanoCPUs: int64(f.cpus),
		CpusetCpus: f.cpusetCPUs, CpusetMems: f.cpusetMems, Memory: int64(f.memory),
		MemoryReservation: int64(f.memoryReservation), MemorySwap: int64(f.memorySwap),
	}}
	if cmd.Flags().Changed("pids-limit") {
		opts.Resources.PidsLimit = &f.pidsLimit
	}
	if f.restart != "" {
		p, err := parseRestartPolicy(f.restart)
		if err != nil {
			return opts, err
		}
		opts.RestartPolicy = &p
	}
	return opts, nil
}

// runUpdate updates each container, prints the names updated, then the
// daemon's warnings on standard error; failures are joined (exit 1).
func runUpdate(ctx context.Context, c *CLI, opts UpdateOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	var warnings, failures []string
	for _, name := range opts.Containers {
		res, err := api.ContainerUpdate(ctx, name, client.ContainerUpdateOptions{Resources: &opts.Resources, RestartPolicy: opts.RestartPolicy})
		if err != nil {
			failures = append(failures, err.Error())
			continue
		}
		warnings = append(warnings, res.Warnings...)
		_, _ = fmt.Fprintln(c.out, name)
	}
	if len(warnings) > 0 {
		_, _ = fmt.Fprintln(c.errOut, strings.Join(warnings, "\n"))
	}
	if len(failures) > 0 {
		return errors.New(strings.Join(failures, "\n"))
	}
	return nil
}
