package daemon

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	containertypes "github.com/moby/moby/api/types/container"
)

// netDevStats reads the interface counters of the network namespace pid
// lives in from /proc/<pid>/net/dev, which the kernel answers for the
// reader's target's namespace. Loopback is left out, as Docker does;
// nil when no other interface exists (--network none).
func netDevStats(pid int) (map[string]containertypes.NetworkStats, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "net", "dev"))
	if err != nil {
		return nil, err
	}
	return parseNetDev(string(b)), nil
}

// parseNetDev parses /proc/net/dev: two header lines, then
// "name: rx_bytes rx_packets rx_errs rx_drop fifo frame compressed
// multicast tx_bytes tx_packets tx_errs tx_drop ..." per interface.
func parseNetDev(s string) map[string]containertypes.NetworkStats {
	var out map[string]containertypes.NetworkStats
	for _, line := range strings.Split(s, "\n") {
		name, counters, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		f := strings.Fields(counters)
		if !ok || name == "lo" || len(f) < 12 {
			continue
		}
		n := make([]uint64, 12)
		for i := range n {
			n[i], _ = strconv.ParseUint(f[i], 10, 64)
		}
		if out == nil {
			out = map[string]containertypes.NetworkStats{}
		}
		out[name] = containertypes.NetworkStats{
			RxBytes: n[0], RxPackets: n[1], RxErrors: n[2], RxDropped: n[3],
			TxBytes: n[8], TxPackets: n[9], TxErrors: n[10], TxDropped: n[11],
		}
	}
	return out
}
