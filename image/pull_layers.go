package image

import (
	"context"
	"fmt"
	"sync"

	"github.com/berth/berth/api"
	"github.com/berth/berth/layer"
	"github.com/berth/berth/registry"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// pull is one image being pulled. Its missing layers are downloaded, up
// to MaxDownloads at a time, into the blob store, and each is unpacked
// into the layer store as soon as it and its parent are there.
type pull struct {
	d    *Distribution
	repo *registry.Repo
	img  *registry.Image
	out  api.Progress
	ld   *loader // leases of the image's layers; removes what it registered unless committed

	// mu guards fetched.
	mu      sync.Mutex
	fetched []digest.Digest // blobs this pull downloaded
}

// pullLayer is one layer of the image being pulled.
type pullLayer struct {
	desc          ocispec.Descriptor
	diffID, chain digest.Digest
	parent        digest.Digest
	present       bool      // in the layer store already
	dl            *download // nil when present
	prog          registry.Progress
}

// download is the fetch of one blob (shared by layers with the same blob).
type download struct {
	done chan struct{} // closed when err is set
	err  error
}

// layers makes sure every layer of the image is in the layer store and
// returns the image's record.
func (pl *pull) layers(ctx context.Context) (*record, error) {
	cfg, err := parseConfig(pl.img.RawConfig)
	if err != nil {
		return nil, err
	}
	diffIDs := cfg.RootFS.DiffIDs
	if len(diffIDs) != len(pl.img.Layers) {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image: the manifest has %d layers, the config %d", len(pl.img.Layers), len(diffIDs)))
	}
	ls := pl.plan(diffIDs)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	pl.startDownloads(ctx, &wg, ls)
	err = pl.extract(ctx, ls)
	cancel()
	wg.Wait() // no message may follow the end of the pull
	if err != nil {
		return nil, err
	}
	return newRecord(pl.d.s.layers, digest.FromBytes(pl.img.RawConfig), cfg)
}

// plan leases the image's layers, tells which are here, and announces
// each as Docker does: "Already exists" or "Pulling fs layer".
func (pl *pull) plan(diffIDs []digest.Digest) []*pullLayer {
	var ls []*pullLayer
	var parent digest.Digest
	for i, desc := range pl.img.Layers {
		chain := layer.ChainID(diffIDs[:i+1])
		pl.ld.lease(chain)
		l := &pullLayer{desc: desc, diffID: diffIDs[i], chain: chain, parent: parent,
			prog: registry.Progress{Out: pl.out, ID: registry.ShortID(desc.Digest)}}
		if _, err := pl.d.s.layers.Get(chain); err == nil {
			l.present = true
			l.prog.Status("Already exists")
		} else {
			l.prog.Status("Pulling fs layer")
		}
		ls = append(ls, l)
		parent = chain
	}
	return ls
}

// startDownloads fetches the blobs of the missing layers, in order, at
// most MaxDownloads at a time; a layer that has to wait says "Waiting".
func (pl *pull) startDownloads(ctx context.Context, wg *sync.WaitGroup, ls []*pullLayer) {
	slots := make(chan struct{}, pl.d.opts.MaxDownloads)
	var queue []*pullLayer
	seen := map[digest.Digest]*download{}
	for _, l := range ls {
		if l.present {
			continue
		}
		if dl, ok := seen[l.desc.Digest]; ok {
			l.dl = dl
			continue
		}
		l.dl = &download{done: make(chan struct{})}
		seen[l.desc.Digest] = l.dl
		queue = append(queue, l)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, l := range queue {
			select {
			case slots <- struct{}{}:
			default:
				l.prog.Status("Waiting")
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					l.dl.err = ctx.Err()
					close(l.dl.done)
					continue
				}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				l.dl.err = pl.download(ctx, l)
				<-slots
				close(l.dl.done)
			}()
		}
	}()
}

// download fetches the blob of l into the blob store, checking its digest
// on the way and resuming it when the connection breaks. A blob kept from
// an earlier pull is not fetched again.
func (pl *pull) download(ctx context.Context, l *pullLayer) error {
	blobs := pl.d.s.blobs
	if blobs.has(l.desc.Digest) {
		l.prog.Status("Download complete")
		return nil
	}
	src := &resumingBlob{ctx: ctx, repo: pl.repo, desc: l.desc, prog: l.prog, attempts: pl.d.opts.MaxDownloadAttempts}
	defer src.Close()
	if err := src.open(); err != nil {
		return err
	}
	_, err := blobs.content.Put(l.prog.Reader(src, "Downloading", l.desc.Size), l.desc.Digest)
	switch {
	case src.err != nil:
		return src.err
	case errdefs.IsFailedPrecondition(err):
		return fmt.Errorf("filesystem layer verification failed for digest %s", l.desc.Digest)
	case err != nil:
		return err
	}
	pl.mu.Lock()
	pl.fetched = append(pl.fetched, l.desc.Digest)
	pl.mu.Unlock()
	l.prog.Status("Verifying Checksum")
	l.prog.Status("Download complete")
	return nil
}

// extract registers the missing layers in order, each as soon as its
// download is done.
func (pl *pull) extract(ctx context.Context, ls []*pullLayer) error {
	for _, l := range ls {
		if l.present {
			continue
		}
		select {
		case <-l.dl.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if l.dl.err != nil {
			return l.dl.err
		}
		if err := pl.register(ctx, l); err != nil {
			return err
		}
		l.prog.Status("Pull complete")
	}
	return nil
}

// register unpacks the blob of l into the layer store on its parent and
// checks that it is the layer the config names.
func (pl *pull) register(ctx context.Context, l *pullLayer) error {
	f, err := pl.d.s.blobs.content.Open(l.desc.Digest)
	if err != nil {
		return err
	}
	defer f.Close()
	got, err := pl.d.s.layers.Register(l.prog.Reader(ctxReader{ctx, f}, "Extracting", l.desc.Size), l.parent)
	if err != nil {
		return fmt.Errorf("failed to register layer: %w", err)
	}
	pl.ld.registered = append(pl.ld.registered, got.ChainID)
	if got.DiffID != l.diffID {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("failed to register layer: layer %s unpacks to %s, the image config says %s",
			l.desc.Digest, got.DiffID, l.diffID))
	}
	return nil
}

// commit adds the image, its reference and its RepoDigest to the store
// and records its manifest and blobs. It reports whether ref was new or
// moved.
func (pl *pull) commit(ref reference.Named, rec *record) (bool, error) {
	s, img := pl.d.s, pl.img
	diffIDs := rec.config.RootFS.DiffIDs
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.content.PutBytes(img.RawConfig, rec.id); err != nil {
		return false, err
	}
	if _, err := s.blobs.content.PutBytes(img.RawManifest, img.Manifest.Digest); err != nil {
		return false, err
	}
	repoName := pl.repo.Name.String()
	if err := s.blobs.update(func(m *distMeta) { m.addImage(rec.id, img.Manifest, img.Layers, diffIDs, repoName) }); err != nil {
		return false, err
	}
	next := s.snapshot().index.clone()
	if _, ok := next.Images[rec.id]; !ok {
		next.Images[rec.id] = imageMeta{}
	}
	updated := next.References[ref.String()] != rec.id
	next.References[ref.String()] = rec.id
	if byDigest, err := reference.WithDigest(pl.repo.Name, img.Digest); err == nil {
		next.References[byDigest.String()] = rec.id
	}
	if err := s.commitLocked(next, rec); err != nil {
		return false, err
	}
	pl.ld.committed = true
	return updated, nil
}
