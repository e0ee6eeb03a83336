package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
	"github.com/moby/moby/api/types/container"
)

// statsOnce reads one sample through the API with the given query.
func statsOnce(t testing.TB, d *daemon, name, query string) container.StatsResponse {
	t.Helper()
	status, body := d.api(t, http.MethodGet, "/containers/"+name+"/stats?"+query)
	if status != http.StatusOK {
		t.Fatalf("stats %s: %d %s", query, status, body)
	}
	var s container.StatsResponse
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("stats %s: %v: %s", query, err, body)
	}
	return s
}

// TestStatsAPI checks the JSON of a running and of a stopped container,
// the previous sample of stream=false, and a stream's samples.
func TestStatsAPI(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	// The kernel accounts a v1 cgroup's block I/O where it has a throttle
	// rule (so dockerd shows 0B on such hosts without one): set a high one.
	disk, _ := dataDisk(t, d.DataRoot)
	must(t, d.docker("run", "-d", "--name", "st", "--memory", "64m", "--pids-limit", "40", "--device-write-bps", disk+":1gb", img,
		"sh", "-c", "dd if=/dev/zero of=/tmp/f bs=64k count=64 oflag=direct 2>/dev/null; sleep 1000 & sleep 1000 & wait"))
	id := inspectField(t, d, "docker", "st", "{{.Id}}")
	waitFor(t, func() bool { return statsOnce(t, d, "st", "stream=false&one-shot=true").PidsStats.Current == 3 })

	s := statsOnce(t, d, "st", "stream=false&one-shot=true")
	if s.ID != id || s.Name != "/st" || s.Read.IsZero() || !s.PreRead.IsZero() {
		t.Errorf("one-shot: id %q name %q read %v preread %v", s.ID, s.Name, s.Read, s.PreRead)
	}
	if s.PidsStats != (container.PidsStats{Current: 3, Limit: 40}) {
		t.Errorf("pids_stats %+v", s.PidsStats)
	}
	cpu := s.CPUStats
	if cpu.CPUUsage.TotalUsage == 0 || cpu.SystemUsage == 0 || cpu.OnlineCPUs == 0 {
		t.Errorf("cpu_stats %+v", cpu)
	}
	m := s.MemoryStats
	if m.Usage == 0 || m.Limit != 64<<20 || len(m.Stats) == 0 {
		t.Errorf("memory_stats usage %d limit %d stats %d keys", m.Usage, m.Limit, len(m.Stats))
	}
	if _, ok := s.Networks["eth0"]; !ok || len(s.Networks) != 1 {
		t.Errorf("networks %+v", s.Networks)
	}
	var written uint64
	for _, e := range s.BlkioStats.IoServiceBytesRecursive {
		if strings.EqualFold(e.Op, "write") {
			written += e.Value
		}
	}
	if written < 4<<20 {
		t.Errorf("blkio: %d bytes written, want the 4 MiB the container wrote: %+v", written, s.BlkioStats.IoServiceBytesRecursive)
	}

	// stream=false takes a previous sample for CPU deltas.
	s = statsOnce(t, d, "st", "stream=false")
	if s.PreRead.IsZero() || !s.PreRead.Before(s.Read) || s.PreCPUStats.SystemUsage == 0 || s.PreCPUStats.SystemUsage > s.CPUStats.SystemUsage {
		t.Errorf("stream=false: preread %v read %v precpu %+v", s.PreRead, s.Read, s.PreCPUStats)
	}

	// A stream: each sample carries the one before.
	resp, err := unixClient(d.Socket).Get("http://berthd/containers/st/stats")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	var samples []container.StatsResponse
	for len(samples) < 2 && sc.Scan() {
		var x container.StatsResponse
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatal(err)
		}
		samples = append(samples, x)
	}
	resp.Body.Close()
	if len(samples) != 2 || !samples[0].PreRead.IsZero() || !samples[1].PreRead.Equal(samples[0].Read) ||
		samples[1].PreCPUStats.CPUUsage.TotalUsage != samples[0].CPUStats.CPUUsage.TotalUsage {
		t.Errorf("stream samples: %+v", samples)
	}

	if status, body := d.api(t, http.MethodGet, "/containers/st/stats?stream=true&one-shot=true"); status != 400 || !strings.Contains(body, "cannot have stream=true and one-shot=true") {
		t.Errorf("stream and one-shot: %d %s", status, body)
	}
	if status, body := d.api(t, http.MethodGet, "/containers/nosuch/stats?stream=false"); status != 404 || !strings.Contains(body, "No such container: nosuch") {
		t.Errorf("missing container: %d %s", status, body)
	}

	// A stream ends when its container is removed.
	must(t, d.docker("run", "-d", "--name", "gone", img, "sleep", "1000"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a guard, not a measure
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://berthd/containers/gone/stats", nil)
	resp, err = unixClient(d.Socket).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc = bufio.NewScanner(resp.Body)
	if !sc.Scan() {
		t.Fatal("no first sample")
	}
	must(t, d.docker("rm", "-f", "gone"))
	for sc.Scan() {
	}
	resp.Body.Close()
	if ctx.Err() != nil {
		t.Error("the stream of a removed container did not end")
	}

	// A stopped container: zeros but for name and ID, at once.
	must(t, d.docker("stop", "-t", "0", "st"))
	defer d.docker("rm", "st")
	s = statsOnce(t, d, "st", "stream=false")
	if s.ID != id || s.Name != "/st" || !s.Read.IsZero() || s.MemoryStats.Usage != 0 || s.PidsStats.Current != 0 || s.Networks != nil {
		t.Errorf("stopped: %+v", s)
	}
}

// TestStatsCLI: docker stats and berth stats show plausible figures.
func TestStatsCLI(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	must(t, d.docker("run", "-d", "--name", "busy", "--memory", "64m", "--cpus", "0.5", img, "sh", "-c", "while :; do :; done"))
	must(t, d.docker("run", "-d", "--name", "idle", img, "sleep", "1000"))
	must(t, d.docker("create", "--name", "created", img, "true"))
	defer d.docker("rm", "-f", "busy", "idle", "created")
	for _, c := range clients {
		format := "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}"
		out := must(t, d.cli(c, "stats", "--no-stream", "--format", format, "busy"))
		f := strings.Fields(out)
		if len(f) != 13 || f[0] != "busy" || f[4] != "64MiB" || f[12] != "1" {
			t.Fatalf("%s stats busy: %q", c, out)
		}
		// --cpus 0.5 caps the loop at half a CPU; it gets some of it.
		if cpu, err := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64); err != nil || cpu <= 0 || cpu > 60 {
			t.Errorf("%s stats busy: CPU %s", c, f[1])
		}
		// The default table lists the running containers only.
		out = must(t, d.cli(c, "stats", "--no-stream"))
		rows := lines(out)
		if len(rows) != 3 || !strings.HasPrefix(rows[0], "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT") ||
			!strings.Contains(out, " busy ") || !strings.Contains(out, " idle ") || strings.Contains(out, "created") {
			t.Errorf("%s stats --no-stream:\n%s", c, out)
		}
		out = must(t, d.cli(c, "stats", "--no-stream", "-a", "--format", "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}"))
		if !strings.Contains(out, "created 0.00% 0B / 0B 0\n") {
			t.Errorf("%s stats -a:\n%s", c, out)
		}
		out = must(t, d.cli(c, "stats", "--no-stream", "--format", "json", "idle"))
		var row map[string]string
		if err := json.Unmarshal([]byte(out), &row); err != nil || row["Name"] != "idle" || row["PIDs"] != "1" || len(row["ID"]) != 12 {
			t.Errorf("%s stats --format json: %q %v", c, out, err)
		}
		if r := d.cli(c, "stats", "--no-stream", "nosuch"); r.Code == 0 || !strings.Contains(r.Stderr, "No such container: nosuch") {
			t.Errorf("%s stats nosuch: %s", c, r)
		}
	}
}

// BenchmarkStatsOneShot is the cost of one stats call through the API
// (GET .../stats?stream=false&one-shot=true) for a running container.
func BenchmarkStatsOneShot(b *testing.B) {
	d := startDaemon(b)
	img := fixture.Build(b, fixture.Options{RepoTags: []string{"bb:1"}})
	path := filepath.Join(b.TempDir(), "img.tar")
	if err := os.WriteFile(path, img.DockerArchive(b), 0o644); err != nil {
		b.Fatal(err)
	}
	must(b, d.docker("load", "-i", path))
	must(b, d.docker("run", "-d", "--name", "bench", "bb:1", "sleep", "1000"))
	defer d.docker("rm", "-f", "bench")
	for b.Loop() {
		statsOnce(b, d, "bench", "stream=false&one-shot=true")
	}
}
