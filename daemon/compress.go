package daemon

import (
	"context"
	"time"

	"github.com/berth/berth/logs"
)

// compressInterval is how often rotated local logs of running containers
// are compressed. The shim does not compress: gzip would cost every shim
// RSS, so berthd does it, from one goroutine so that no two compressions
// of one log overlap.
const compressInterval = 5 * time.Second

// compressLogs gzips the rotated files of local-driver logs with compress
// on: those of running containers periodically, and once more for a
// container that just exited (its ID arrives on exited).
func (cs *Containers) compressLogs(ctx context.Context, exited <-chan string) {
	tick := time.NewTicker(compressInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-exited:
			cs.compressLogOf(id)
		case <-tick.C:
			cs.mu.Lock()
			ids := make([]string, 0, len(cs.live))
			for id := range cs.live {
				ids = append(ids, id)
			}
			cs.mu.Unlock()
			for _, id := range ids {
				cs.compressLogOf(id)
			}
		}
	}
}

func (cs *Containers) compressLogOf(id string) {
	c, err := cs.store.Get(id)
	if err != nil {
		return
	}
	c.Lock()
	path, local := cs.logFile(c)
	opts, err := parseLocalLogOptions(c.HostConfig.LogConfig.Config)
	c.Unlock()
	if !local || err != nil || !opts.compress {
		return
	}
	if err := logs.CompressRotated(path); err != nil {
		cs.log.Warn("compressing rotated logs", "container", id, "err", err)
	}
}
