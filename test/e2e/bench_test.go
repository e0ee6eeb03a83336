package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/runtime/spec"
	"github.com/berth/berth/test/fixture"
	"github.com/moby/moby/api/types/container"
)

// engines are the daemons a benchmark measures: berthd always, Debian's
// dockerd when installed. Both are driven by the same docker CLI.
func engines(b *testing.B) map[string]string {
	b.Helper()
	hosts := map[string]string{"berthd": startDaemon(b).Host}
	if os.Getenv("BERTH_BENCH_DOCKERD") != "0" {
		func() {
			defer func() { _ = recover() }()
			hosts["dockerd"] = startDockerd(b).Host
		}()
	}
	return hosts
}

// BenchmarkDockerLoad measures `docker load` of a ~100 MB four-layer image
// (incompressible data), removing it between iterations.
func BenchmarkDockerLoad(b *testing.B) {
	img := fixture.LargeImage(b, 4, 100)
	path := filepath.Join(b.TempDir(), "large.tar")
	if err := os.WriteFile(path, img.DockerArchive(b), 0o644); err != nil {
		b.Fatal(err)
	}
	for name, host := range engines(b) {
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				start := time.Now()
				r := runCLI(b, "docker", host, nil, nil, "load", "-q", "-i", path)
				total += time.Since(start)
				if r.Code != 0 {
					b.Fatalf("load: %s", r)
				}
				b.StopTimer()
				must(b, runCLI(b, "docker", host, nil, nil, "rmi", img.Options.RepoTags[0]))
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/load")
			b.SetBytes(int64(100 << 20))
		})
	}
}

// BenchmarkDockerImages500 measures `docker images` with 500 images present.
func BenchmarkDockerImages500(b *testing.B) {
	// 500 distinct images sharing the busybox base: tags of 500 markers.
	archives := make([]string, 0, 50)
	dir := b.TempDir()
	for batch := range 50 {
		path := filepath.Join(dir, fmt.Sprintf("batch%02d.tar", batch))
		if err := os.WriteFile(path, manyImagesArchive(b, batch), 0o644); err != nil {
			b.Fatal(err)
		}
		archives = append(archives, path)
	}
	for name, host := range engines(b) {
		b.Run(name, func(b *testing.B) {
			for _, path := range archives {
				must(b, runCLI(b, "docker", host, nil, nil, "load", "-q", "-i", path))
			}
			if n := len(lines(must(b, runCLI(b, "docker", host, nil, nil, "images", "-q")))); n != 500 {
				b.Fatalf("%d images, want 500", n)
			}
			b.ResetTimer()
			for range b.N {
				must(b, runCLI(b, "docker", host, nil, nil, "images"))
			}
		})
	}
}

// manyImagesArchive returns a docker-archive holding 10 distinct images.
func manyImagesArchive(b *testing.B, batch int) []byte {
	b.Helper()
	var imgs []*fixture.Image
	for i := range 10 {
		n := batch*10 + i
		imgs = append(imgs, fixture.Build(b, fixture.Options{RepoTags: []string{fmt.Sprintf("many/img%03d:1", n)}, Marker: fmt.Sprint(n)}))
	}
	return fixture.MultiArchive(b, imgs)
}

// benchImage loads the busybox fixture into each engine and returns its name.
func benchImage(b *testing.B, hosts map[string]string) string {
	b.Helper()
	img := fixture.Build(b, fixture.Options{RepoTags: []string{"bench/bb:1"}})
	path := filepath.Join(b.TempDir(), "bb.tar")
	if err := os.WriteFile(path, img.DockerArchive(b), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, host := range hosts {
		must(b, runCLI(b, "docker", host, nil, nil, "load", "-q", "-i", path))
	}
	return "bench/bb:1"
}

// timed runs the docker CLI n times and reports the median and p90 latency.
func timed(b *testing.B, n int, run func(i int)) {
	b.Helper()
	durs := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		run(i)
		durs = append(durs, time.Since(start))
	}
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durs[len(durs)*9/10].Microseconds())/1000, "p90-ms")
}

// BenchmarkContainers measures, per engine, through the docker CLI:
// run --rm, serial run -d, exec, ps with 100 containers, per-container and
// idle daemon memory, and logs read-back. Containers use --network none on
// both engines (the dockerd here has no bridge).
func BenchmarkContainers(b *testing.B) {
	hosts := engines(b)
	img := benchImage(b, hosts)
	for name, host := range hosts {
		docker := func(args ...string) string { return must(b, runCLI(b, "docker", host, nil, nil, args...)) }
		b.Run(name+"/run-rm", func(b *testing.B) {
			timed(b, 20, func(int) { docker("run", "--rm", "--network", "none", img, "true") })
		})
		if name == "berthd" { // the dockerd here runs without a bridge
			// What the default bridge adds to a start (docker start of a
			// created container), against --network none.
			for _, mode := range []string{"none", "bridge"} {
				b.Run(name+"/start-"+mode, func(b *testing.B) {
					ids := make([]string, 20)
					for i := range ids {
						ids[i] = strings.TrimSpace(docker("create", "--network", mode, img, "true"))
					}
					timed(b, len(ids), func(i int) { docker("start", ids[i]) })
					docker(append([]string{"rm", "-f"}, ids...)...)
				})
			}
		}
		b.Run(name+"/run-d-serial", func(b *testing.B) {
			start := time.Now()
			for i := range 50 {
				docker("run", "-d", "--network", "none", "--name", fmt.Sprintf("rate%d", i), img, "sleep", "1000")
			}
			b.ReportMetric(50/time.Since(start).Seconds(), "containers/s")
			b.ReportMetric(memoryPerContainer(name, host, 50), "KiB-RSS/container")
			timed(b, 20, func(int) { docker("exec", "rate0", "true") })
			for i := 50; i < 100; i++ {
				docker("run", "-d", "--network", "none", "--name", fmt.Sprintf("rate%d", i), img, "sleep", "1000")
			}
			ps := time.Now()
			for range 10 {
				docker("ps")
			}
			b.ReportMetric(float64(time.Since(ps).Microseconds())/10000, "ps100-ms")
			docker(append([]string{"rm", "-f"}, strings.Fields(docker("ps", "-aq"))...)...)
			time.Sleep(2 * time.Second) // let the daemon settle before measuring it idle
			b.ReportMetric(daemonRSS(name, host), "KiB-RSS-daemon-idle")
		})
		b.Run(name+"/logs", func(b *testing.B) {
			// ~32 MiB of log: 400k lines of 80 bytes.
			docker("run", "--network", "none", "--name", "chatty", img, "sh", "-c",
				"i=0; while [ $i -lt 4000 ]; do j=0; while [ $j -lt 100 ]; do echo 0123456789012345678901234567890123456789012345678901234567890123456789abcdefghi; j=$((j+1)); done; i=$((i+1)); done")
			start := time.Now()
			out := runCLI(b, "docker", host, nil, nil, "logs", "chatty")
			elapsed := time.Since(start)
			b.ReportMetric(float64(len(out.Stdout))/(1<<20)/elapsed.Seconds(), "MiB/s-cli")
			// The docker CLI's demultiplexing caps the figure above; read the
			// API directly too.
			start = time.Now()
			n := apiBytes(b, host, "/containers/chatty/logs?stdout=1&stderr=1")
			b.ReportMetric(float64(n)/(1<<20)/time.Since(start).Seconds(), "MiB/s-api")
			docker("rm", "chatty")
		})
	}
}

// Processes are counted by name and by the engine's own directory (that
// of its socket) on their command line, so that other engines running on
// the machine, e.g. other tests' daemons and shims, do not count.

// memoryPerContainer is the mean RSS of the engine's per-container shims.
func memoryPerContainer(engine, host string, n int) float64 {
	name := "berth-shim"
	if engine == "dockerd" {
		name = "containerd-shim"
	}
	return float64(sumRSS(host, func(comm string) bool { return strings.HasPrefix(comm, name) })) / float64(n)
}

// daemonRSS is the RSS of the daemon (dockerd: dockerd plus containerd).
func daemonRSS(engine, host string) float64 {
	names := []string{"berthd"}
	if engine == "dockerd" {
		names = []string{"dockerd", "containerd"}
	}
	return float64(sumRSS(host, func(comm string) bool { return slices.Contains(names, comm) }))
}

// sumRSS sums VmRSS (KiB) of the processes of host's engine whose name
// matches.
func sumRSS(host string, match func(string) bool) int64 {
	engineDir := filepath.Dir(strings.TrimPrefix(host, "unix://"))
	var total int64
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		comm, err := os.ReadFile(filepath.Join(dir, "comm"))
		if err != nil || !match(strings.TrimSpace(string(comm))) {
			continue
		}
		if cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline")); !strings.Contains(string(cmdline), engineDir) {
			continue
		}
		status, _ := os.ReadFile(filepath.Join(dir, "status"))
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				var kb int64
				fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
				total += kb
			}
		}
	}
	return total
}

// apiBytes GETs path on the unix socket of host and counts the body bytes.
func apiBytes(b *testing.B, host, path string) int64 {
	b.Helper()
	resp, err := unixClient(strings.TrimPrefix(host, "unix://")).Get("http://engine" + path)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkRuntimeFloor measures what a container start cannot go below on
// this machine, to compare run --rm with: the docker CLI alone (`docker
// version` against berthd) and a bare `runc run` of a bundle generated as
// berthd generates it (Docker's seccomp profile included) for `true`.
func BenchmarkRuntimeFloor(b *testing.B) {
	d := startDaemon(b)
	b.Run("docker-cli", func(b *testing.B) {
		timed(b, 20, func(int) { must(b, d.docker("version")) })
	})
	runc, err := exec.LookPath("runc")
	if err != nil {
		b.Skip("runc not installed")
	}
	bundle := b.TempDir()
	rootfs := filepath.Join(bundle, "rootfs")
	if err := os.MkdirAll(filepath.Join(rootfs, "bin"), 0o755); err != nil {
		b.Fatal(err)
	}
	busyboxBin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		b.Skip("busybox-static not installed")
	}
	if err := os.WriteFile(filepath.Join(rootfs, "bin", "true"), busyboxBin, 0o755); err != nil {
		b.Fatal(err)
	}
	id := "berth-bench-floor"
	s, err := spec.Generate(spec.Options{ID: id, Rootfs: rootfs, Config: &container.Config{Cmd: []string{"/bin/true"}},
		HostConfig: &container.HostConfig{NetworkMode: "none"}, Hostname: "floor", CgroupsPath: "/berth/" + id})
	if err != nil {
		b.Fatal(err)
	}
	config, err := json.Marshal(s)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), config, 0o644); err != nil {
		b.Fatal(err)
	}
	root := b.TempDir()
	b.Run("runc-run", func(b *testing.B) {
		timed(b, 20, func(i int) {
			out, err := exec.Command(runc, "--root", root, "run", "--bundle", bundle, fmt.Sprint(id, i)).CombinedOutput()
			if err != nil {
				b.Fatalf("runc run: %v: %s", err, out)
			}
		})
	})
}
