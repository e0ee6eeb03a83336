package image

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/berth/berth/test/fixture"
)

// BenchmarkLoad loads a 4-layer, 100 MiB image (incompressible data); the
// image is deleted between iterations, untimed.
func BenchmarkLoad(b *testing.B) {
	e := newEnv(b)
	img := fixture.LargeImage(b, 4, 100)
	archive := img.DockerArchive(b)
	ctx := context.Background()
	b.SetBytes(int64(len(archive)))
	b.ResetTimer()
	for b.Loop() {
		if err := e.svc.Load(ctx, bytes.NewReader(archive), true, &recorder{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, err := e.svc.Delete(ctx, img.ID.String(), true, false); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkList500 lists 500 tagged images.
func BenchmarkList500(b *testing.B) {
	e := newEnv(b)
	rootfs := tarOf(b, map[string]string{"etc/hostname": "bench\n"})
	ctx := context.Background()
	for i := range 500 {
		_, err := e.svc.Import(ctx, bytes.NewReader(rootfs), ImportOptions{
			Repo: fmt.Sprintf("bench/img%03d", i), Tag: "v1", Changes: []string{fmt.Sprintf("LABEL n=%d", i)}})
		if err != nil {
			b.Fatal(err)
		}
	}
	if n := e.svc.Count(); n != 500 {
		b.Fatalf("%d images", n)
	}
	for _, shared := range []bool{false, true} {
		b.Run(fmt.Sprintf("shared-size=%v", shared), func(b *testing.B) {
			for b.Loop() {
				l, err := e.svc.List(ctx, ListOptions{SharedSize: shared})
				if err != nil || len(l) != 500 {
					b.Fatalf("%d images, %v", len(l), err)
				}
			}
		})
	}
}
