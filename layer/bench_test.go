package layer

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkRegister registers a 50 MB layer of 6400 files in 64 directories,
// plain and gzip-compressed, flushing the filesystem as in production.
func BenchmarkRegister(b *testing.B) {
	tarball := benchTar(b, 64, 100, 8<<10)
	for _, kind := range []string{"plain", "gzip"} {
		data := compress(b, kind, tarball)
		b.Run(kind, func(b *testing.B) {
			ts := newTestStore(b)
			b.SetBytes(int64(len(tarball)))
			for b.Loop() {
				l, err := ts.Register(bytes.NewReader(data), "")
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := ts.Remove(l.ChainID); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// benchTar makes dirs directories of files files each, of size bytes of
// half-compressible content.
func benchTar(b *testing.B, dirs, files, size int) []byte {
	content := make([]byte, size)
	for i := range content {
		if i%2 == 0 {
			content[i] = byte(rand.IntN(256))
		}
	}
	var entries []entry
	for d := range dirs {
		entries = append(entries, dir(fmt.Sprintf("dir%d/", d)))
		for f := range files {
			entries = append(entries, file(fmt.Sprintf("dir%d/file%d", d, f), string(content)))
		}
	}
	return makeTar(b, entries...)
}
