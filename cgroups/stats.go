package cgroups

import "github.com/moby/moby/api/types/container"

// Stats fills the cgroup's part of a stats sample: CPU usage and
// throttling, memory, pids and block I/O, in Docker's fields.
func (c *Cgroup) Stats(s *container.StatsResponse) error {
	if c.unified {
		return c.statsV2(s)
	}
	return c.statsV1(s)
}
