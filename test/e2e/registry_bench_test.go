package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
)

// BenchmarkDockerPullPush200MB measures, per engine (berthd, and Debian's
// dockerd when installed, driven by the same docker CLI in the same run),
// `docker pull` and `docker push` of a five-layer ~200 MB image of
// incompressible data against a local docker-registry: the issue's
// benchmark. Pulls start with none of the image's layers (it is removed
// between iterations); pushes are of the image loaded from an archive,
// each to a new registry. berthd keeps the
// gzip blob it made at its first push, so its first push is reported
// apart (first-push-ms).
func BenchmarkDockerPullPush200MB(b *testing.B) {
	img := fixture.LargeImage(b, 5, 200)
	path := filepath.Join(b.TempDir(), "large.tar")
	if err := os.WriteFile(path, img.DockerArchive(b), 0o644); err != nil {
		b.Fatal(err)
	}
	tag := img.Options.RepoTags[0]
	hosts := engines(b)
	docker := func(host string, args ...string) string { return must(b, runCLI(b, "docker", host, nil, nil, args...)) }
	source := startRegistry(b, false)
	ref := source.Host + "/large:5x200"
	docker(hosts["berthd"], "load", "-q", "-i", path)
	docker(hosts["berthd"], "tag", tag, ref)
	docker(hosts["berthd"], "push", ref)
	docker(hosts["berthd"], "rmi", ref, tag) // no layer of it is left to reuse

	for name, host := range hosts {
		b.Run("pull/"+name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				start := time.Now()
				docker(host, "pull", "-q", ref)
				total += time.Since(start)
				b.StopTimer()
				docker(host, "rmi", ref)
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/pull")
			b.SetBytes(200 << 20)
		})
	}
	firstPush := map[string]time.Duration{} // the engine's very first push, across b.Run's calls
	for name, host := range hosts {
		docker(host, "load", "-q", "-i", path)
		b.Run("push/"+name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				b.StopTimer()
				target := startRegistry(b, false).Host + "/large:5x200"
				docker(host, "tag", tag, target)
				b.StartTimer()
				start := time.Now()
				docker(host, "push", target)
				elapsed := time.Since(start)
				total += elapsed
				if _, ok := firstPush[name]; !ok {
					firstPush[name] = elapsed
				}
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/push")
			b.ReportMetric(float64(firstPush[name].Milliseconds()), "first-push-ms")
			b.SetBytes(200 << 20)
		})
	}
}
