package image

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/berth/berth/api"
	"github.com/berth/berth/registry"
	"github.com/berth/berth/test/fixture"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// failedPull is a pull of img from example.test/failed whose layers are
// in the layer store, as a pull that reached its commit has them.
func failedPull(t *testing.T, e *env, img *fixture.Image) (*pull, reference.Named, *record) {
	t.Helper()
	ref, err := reference.ParseNormalizedNamed("example.test/failed:1")
	if err != nil {
		t.Fatal(err)
	}
	manifest := []byte(`{"schemaVersion":2,"failed":true}`)
	ri := &registry.Image{RawConfig: img.Config, RawManifest: manifest,
		Manifest: ocispec.Descriptor{MediaType: registry.MediaTypeDockerManifest, Digest: digest.FromBytes(manifest), Size: int64(len(manifest))}}
	ri.Digest = ri.Manifest.Digest
	pl := &pull{d: &Distribution{s: e.svc, log: e.svc.log}, repo: &registry.Repo{Name: reference.TrimNamed(ref)}, img: ri,
		out: api.Discard, ld: &loader{s: e.svc}}
	var parent digest.Digest
	for _, tarball := range img.Layers {
		l, err := e.layers.Register(bytes.NewReader(tarball), parent)
		if err != nil {
			t.Fatal(err)
		}
		pl.ld.lease(l.ChainID)
		pl.ld.registered = append(pl.ld.registered, l.ChainID)
		ri.Layers = append(ri.Layers, ocispec.Descriptor{MediaType: registry.MediaTypeDockerLayer, Digest: digest.FromString("blob of " + l.DiffID.String())})
		parent = l.ChainID
	}
	cfg, err := parseConfig(img.Config)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := newRecord(e.layers, img.ID, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return pl, ref, rec
}

// TestFailedCommitLeavesNothing: a pull whose commit fails once its
// config, manifest and distribution metadata are written (images.json
// cannot be replaced here; a full disk does the same) leaves none of them,
// nor its layers.
func TestFailedCommitLeavesNothing(t *testing.T) {
	e := newEnv(t)
	img := busybox(t, fixture.Options{})
	pl, ref, rec := failedPull(t, e, img)
	index := e.svc.indexPath()
	if err := os.RemoveAll(index); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(index, 0o700); err != nil { // a rename onto it fails
		t.Fatal(err)
	}
	_, err := pl.commit(ref, rec)
	if err == nil {
		t.Fatal("commit succeeded")
	}
	pl.ld.finish()
	pl.discard(err)
	if n := e.configBlobs(); len(n) != 0 {
		t.Errorf("config blobs left: %v", n)
	}
	if e.svc.blobs.has(pl.img.Manifest.Digest) {
		t.Error("manifest left")
	}
	if m := e.svc.blobs.snapshot(); len(m.Blobs) != 0 || len(m.Manifests) != 0 {
		t.Errorf("distribution metadata left: %+v", m)
	}
	if chains := e.chainIDs(); len(chains) != 0 {
		t.Errorf("layers left: %v", chains)
	}
	if err := os.Remove(index); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	if ids := e.ids(); len(ids) != 0 {
		t.Errorf("images after restart: %v", ids)
	}
}

// TestFailedPullBlobs: the blobs a failed pull downloaded stay for a retry,
// unless the disk is full; blobs an image has stay in any case, and so
// does the config of an image that exists.
func TestFailedPullBlobs(t *testing.T) {
	e := newEnv(t)
	img := busybox(t, fixture.Options{RepoTags: []string{"kept:1"}})
	e.load(img.DockerArchive(t))
	put := func(content string) digest.Digest {
		info, err := e.svc.blobs.content.PutBytes([]byte(content), "")
		if err != nil {
			t.Fatal(err)
		}
		return info.Digest
	}
	listed, fetched := put("blob of kept"), put("blob only the pull has")
	err := e.svc.blobs.update(func(m *distMeta) {
		m.addBlob(ocispec.Descriptor{MediaType: registry.MediaTypeDockerLayer, Digest: listed}, img.DiffIDs[0], "")
	})
	if err != nil {
		t.Fatal(err)
	}
	pl, _, _ := failedPull(t, e, img)
	pl.fetched = []digest.Digest{listed, fetched}
	for _, c := range []struct {
		err  error
		kept bool
	}{
		{errors.New("unexpected EOF"), true},
		{fmt.Errorf("write /x: %w", syscall.ENOSPC), false},
	} {
		pl.discard(c.err)
		if got := e.svc.blobs.has(fetched); got != c.kept {
			t.Errorf("after %v: the downloaded blob kept %v, want %v", c.err, got, c.kept)
		}
		if !e.svc.blobs.has(listed) {
			t.Errorf("after %v: the blob an image has is gone", c.err)
		}
		if n := e.configBlobs(); len(n) != 1 {
			t.Errorf("after %v: config blobs %v, want the image's", c.err, n)
		}
	}
}
