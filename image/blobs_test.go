package image

import (
	"context"
	"testing"

	"github.com/berth/berth/registry"
	"github.com/berth/berth/test/fixture"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestBlobStoreLifetime checks when kept registry blobs go: a blob whose
// layer an image has stays, across restarts; stray files and blobs of
// layers no image has go at start; the image's blobs and manifests go with
// the image.
func TestBlobStoreLifetime(t *testing.T) {
	e := newEnv(t)
	img := busybox(t, fixture.Options{RepoTags: []string{"kept:1"}})
	e.load(img.DockerArchive(t))
	put := func(content string) ocispec.Descriptor {
		info, err := e.svc.blobs.content.PutBytes([]byte(content), "")
		if err != nil {
			t.Fatal(err)
		}
		return ocispec.Descriptor{MediaType: registry.MediaTypeDockerLayer, Digest: info.Digest, Size: info.Size}
	}
	used, orphan, stray, manifest := put("used layer"), put("orphan layer"), put("stray"), put("manifest")
	manifest.MediaType = registry.MediaTypeDockerManifest
	err := e.svc.blobs.update(func(m *distMeta) {
		m.addImage(img.ID, manifest, []ocispec.Descriptor{used}, img.DiffIDs[:1], "127.0.0.1:5000/kept")
		m.addBlob(orphan, digest.FromString("no such layer"), "")
	})
	if err != nil {
		t.Fatal(err)
	}
	e.reopen()
	for d, want := range map[digest.Digest]bool{used.Digest: true, manifest.Digest: true, orphan.Digest: false, stray.Digest: false} {
		if got := e.svc.blobs.has(d); got != want {
			t.Errorf("after restart: blob %s present %v, want %v", d, got, want)
		}
	}
	if repos := e.svc.blobs.snapshot().Blobs[used.Digest].Repos; len(repos) != 1 || repos[0] != "127.0.0.1:5000/kept" {
		t.Errorf("repositories of the kept blob: %v", repos)
	}
	if _, err := e.svc.Delete(context.Background(), "kept:1", false, false); err != nil {
		t.Fatal(err)
	}
	for _, d := range []digest.Digest{used.Digest, manifest.Digest} {
		if e.svc.blobs.has(d) {
			t.Errorf("blob %s outlived its image", d)
		}
	}
	if m := e.svc.blobs.snapshot(); len(m.Blobs) != 0 || len(m.Manifests) != 0 {
		t.Errorf("metadata outlived the image: %+v", m)
	}
}
