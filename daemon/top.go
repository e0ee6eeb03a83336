package daemon

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
)

// Top lists the container's processes with `ps psArgs` (default "-ef"), as
// GET /containers/{id}/top: ps runs on the host and its rows are kept when
// their PID is in the container's cgroup.
func (cs *Containers) Top(ctx context.Context, ref, psArgs string) (containertypes.TopResponse, error) {
	c, err := cs.store.Get(ref)
	if err != nil {
		return containertypes.TopResponse{}, err
	}
	if _, err := cs.liveOf(c); err != nil {
		return containertypes.TopResponse{}, err
	}
	pids, err := cgroupPids(containerCgroupPath(c))
	if err != nil {
		return containertypes.TopResponse{}, err
	}
	if psArgs == "" {
		psArgs = "-ef"
	}
	out, err := exec.CommandContext(ctx, "ps", strings.Fields(psArgs)...).Output()
	if err != nil {
		return containertypes.TopResponse{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("ps: %v", err))
	}
	resp, err := parsePS(string(out), pids)
	if err == nil {
		cs.publish(c, eventtypes.ActionTop, nil)
	}
	return resp, err
}

// cgroupPids reads the processes of a cgroupfs path on v2 or v1.
func cgroupPids(path string) ([]int, error) {
	candidates := []string{
		filepath.Join("/sys/fs/cgroup", path, "cgroup.procs"),
		filepath.Join("/sys/fs/cgroup/pids", path, "cgroup.procs"),
		filepath.Join("/sys/fs/cgroup/memory", path, "cgroup.procs"),
	}
	for _, f := range candidates {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var pids []int
		for _, field := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(field); err == nil {
				pids = append(pids, n)
			}
		}
		return pids, nil
	}
	return nil, fmt.Errorf("no cgroup found for %s", path)
}

// parsePS keeps the rows of ps output whose PID column is in pids.
func parsePS(out string, pids []int) (containertypes.TopResponse, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 {
		return containertypes.TopResponse{}, errdefs.ErrInvalidArgument.WithMessage("ps printed nothing")
	}
	titles := strings.Fields(lines[0])
	pidCol := slices.Index(titles, "PID")
	if pidCol < 0 {
		return containertypes.TopResponse{}, errdefs.ErrInvalidArgument.WithMessage(`Couldn't find PID field in ps output`)
	}
	resp := containertypes.TopResponse{Titles: titles, Processes: [][]string{}}
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) < len(titles) {
			continue
		}
		pid, err := strconv.Atoi(fields[pidCol])
		if err != nil || !slices.Contains(pids, pid) {
			continue
		}
		// The last column (the command) may hold spaces: keep it whole.
		row := fields[: len(titles)-1 : len(titles)-1]
		row = append(row, strings.Join(fields[len(titles)-1:], " "))
		resp.Processes = append(resp.Processes, row)
	}
	return resp, nil
}
