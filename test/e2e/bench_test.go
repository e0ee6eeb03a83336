package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
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
