package e2e

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDockerCp measures `docker cp` of a 100 MB directory (100 files
// of 1 MB, incompressible) into a running container and back out, per
// engine, through the docker CLI.
func BenchmarkDockerCp(b *testing.B) {
	src := filepath.Join(b.TempDir(), "data")
	if err := os.Mkdir(src, 0o755); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for i := range 100 {
		_, _ = rand.Read(buf)
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("f%03d", i)), buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	hosts := engines(b)
	img := benchImage(b, hosts)
	for name, host := range hosts {
		docker := func(args ...string) string { return must(b, runCLI(b, "docker", host, nil, nil, args...)) }
		docker("run", "-d", "--network", "none", "--name", "cp-bench", img, "sleep", "1000")
		b.Run(name+"/in", func(b *testing.B) {
			timed(b, 5, func(i int) { docker("cp", src, fmt.Sprintf("cp-bench:/tmp/in%d", i)) })
			b.SetBytes(100 << 20)
		})
		b.Run(name+"/out", func(b *testing.B) {
			out := b.TempDir()
			timed(b, 5, func(i int) { docker("cp", "cp-bench:/tmp/in0", filepath.Join(out, fmt.Sprint(i))) })
			b.SetBytes(100 << 20)
		})
		docker("rm", "-f", "cp-bench")
	}
}
