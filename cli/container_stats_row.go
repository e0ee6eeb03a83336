package cli

import (
	"fmt"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
)

// statsTableFormat and statsHeaders are docker's default stats table.
const statsTableFormat = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

var statsHeaders = map[string]string{
	"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT",
	"MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
}

// statsEntry is the figures of one container as docker stats works them
// out from a sample; invalid until a sample arrived (shown as "--").
type statsEntry struct {
	container                       string // as named on the command line
	name, id                        string
	cpuPercent, memPercent          float64
	memory, memoryLimit             float64
	netRx, netTx, blockRead, blockW float64
	pids                            uint64
	invalid                         bool
}

// newStatsEntry computes docker's figures: CPU % from the delta to the
// previous sample times the online CPUs, memory without the inactive page
// cache (cgroup v1's total_inactive_file, v2's inactive_file).
func newStatsEntry(name string, s *container.StatsResponse) statsEntry {
	e := statsEntry{container: name, name: strings.TrimPrefix(s.Name, "/"), id: s.ID, pids: s.PidsStats.Current}
	cpuDelta := float64(s.CPUStats.CPUUsage.TotalUsage) - float64(s.PreCPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(s.CPUStats.SystemUsage) - float64(s.PreCPUStats.SystemUsage)
	online := float64(s.CPUStats.OnlineCPUs)
	if online == 0 {
		online = float64(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	if sysDelta > 0 && cpuDelta > 0 {
		e.cpuPercent = cpuDelta / sysDelta * online * 100
	}
	e.memory = memoryWithoutCache(s.MemoryStats)
	e.memoryLimit = float64(s.MemoryStats.Limit)
	if e.memoryLimit != 0 {
		e.memPercent = e.memory / e.memoryLimit * 100
	}
	for _, n := range s.Networks {
		e.netRx += float64(n.RxBytes)
		e.netTx += float64(n.TxBytes)
	}
	for _, b := range s.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(b.Op) {
		case "read":
			e.blockRead += float64(b.Value)
		case "write":
			e.blockW += float64(b.Value)
		}
	}
	return e
}

func memoryWithoutCache(m container.MemoryStats) float64 {
	if v, v1 := m.Stats["total_inactive_file"]; v1 && v < m.Usage {
		return float64(m.Usage - v)
	}
	if v := m.Stats["inactive_file"]; v < m.Usage {
		return float64(m.Usage - v)
	}
	return float64(m.Usage)
}

// statsRow is what a --format template sees of a statsEntry.
type statsRow struct {
	e     statsEntry
	trunc bool
}

func (r *statsRow) Container() string { return r.e.container }

func (r *statsRow) Name() string {
	if r.e.name == "" {
		return "--"
	}
	return r.e.name
}

func (r *statsRow) ID() string {
	if r.trunc {
		return shortID(r.e.id)
	}
	return r.e.id
}

func (r *statsRow) CPUPerc() string { return r.percent(r.e.cpuPercent) }
func (r *statsRow) MemPerc() string { return r.percent(r.e.memPercent) }

func (r *statsRow) MemUsage() string {
	if r.e.invalid {
		return "-- / --"
	}
	return units.BytesSize(r.e.memory) + " / " + units.BytesSize(r.e.memoryLimit)
}

func (r *statsRow) NetIO() string   { return r.pair(r.e.netRx, r.e.netTx) }
func (r *statsRow) BlockIO() string { return r.pair(r.e.blockRead, r.e.blockW) }

func (r *statsRow) PIDs() string {
	if r.e.invalid {
		return "--"
	}
	return fmt.Sprint(r.e.pids)
}

func (r *statsRow) percent(v float64) string {
	if r.e.invalid {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", v)
}

func (r *statsRow) pair(a, b float64) string {
	if r.e.invalid {
		return "--"
	}
	return units.HumanSizeWithPrecision(a, 3) + " / " + units.HumanSizeWithPrecision(b, 3)
}

// MarshalJSON makes {{json .}} show the row's fields, as docker's does.
func (r *statsRow) MarshalJSON() ([]byte, error) { return marshalMethods(r) }
