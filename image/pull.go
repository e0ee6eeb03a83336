package image

import (
	"context"
	"fmt"

	"github.com/berth/berth/api"
	"github.com/berth/berth/registry"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	eventtypes "github.com/moby/moby/api/types/events"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// PullOptions are the parameters of a pull, POST /images/create?fromImage=.
type PullOptions struct {
	Image    string                   // fromImage: a name, perhaps with a tag or digest
	Tag      string                   // a tag or a digest; with neither here nor in Image, every tag
	Platform string                   // os[/arch[/variant]]; "" is the host's
	Auth     registrytypes.AuthConfig // from X-Registry-Auth
}

// Pull fetches an image from its registry, as POST /images/create with
// fromImage, writing Docker's progress messages to out. Layers present
// already are not fetched; the others are downloaded (a few at a time)
// into the blob store, checked against their digest, and unpacked in order
// into the layer store. The image, its tag and its RepoDigest appear at
// once when all is in place; a failure leaves neither image nor layers.
// Errors before the first message (unknown manifest, denied access) are
// worded as Docker's. Docker Hub images are asked of the registry mirrors
// first; a mirror that fails is skipped, as in Docker, unless the disk is
// full.
func (d *Distribution) Pull(ctx context.Context, opts PullOptions, out api.Progress) error {
	if out == nil {
		out = api.Discard
	}
	ref, err := registry.ParseReference(opts.Image, opts.Tag)
	if err != nil {
		return err
	}
	platform, err := registry.ParsePlatform(opts.Platform)
	if err != nil {
		return err
	}
	out = &syncProgress{out: out}
	for _, mirror := range d.rc.Mirrors(ref) {
		err := d.pullFrom(ctx, ref, platform, opts.Auth, mirror, out)
		if err == nil || ctx.Err() != nil || noSpace(err) {
			return err // a full disk is no reason to try another endpoint
		}
		// As Docker: a failing mirror is skipped, the next one or the
		// registry itself is tried. Blobs the mirror served are kept.
		d.log.Info("pull from mirror failed, trying the next endpoint", "mirror", mirror, "ref", ref.String(), "err", err)
	}
	return d.pullFrom(ctx, ref, platform, opts.Auth, "", out)
}

// pullFrom pulls ref (every tag of a bare name) from mirror, or from its
// registry when mirror is "".
func (d *Distribution) pullFrom(ctx context.Context, ref reference.Named, platform registry.Platform, auth registrytypes.AuthConfig, mirror string, out api.Progress) error {
	var repo *registry.Repo
	var err error
	if mirror != "" {
		repo, err = d.rc.OpenMirror(ctx, ref, auth, mirror)
	} else {
		repo, err = d.rc.Open(ctx, ref, auth, false)
	}
	if err != nil {
		return err
	}
	tags := []reference.Named{ref}
	if reference.IsNameOnly(ref) {
		if tags, err = d.allTags(ctx, repo, ref); err != nil {
			return err
		}
	}
	updated := false
	for _, t := range tags {
		u, err := d.pullOne(ctx, repo, t, platform, out)
		if err != nil {
			return err
		}
		updated = updated || u
	}
	status := "Status: Image is up to date for "
	if updated {
		status = "Status: Downloaded newer image for "
	}
	out.Send(api.Message{Status: status + reference.FamiliarString(ref)})
	d.publishRef(eventtypes.ActionPull, ref)
	return nil
}

// allTags is every tag of the repository ref names (pull -a).
func (d *Distribution) allTags(ctx context.Context, repo *registry.Repo, ref reference.Named) ([]reference.Named, error) {
	names, err := repo.Tags(ctx)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("repository %s has no tags", reference.FamiliarName(ref)))
	}
	var tags []reference.Named
	for _, n := range names {
		t, err := reference.WithTag(ref, n)
		if err != nil {
			return nil, err
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// pullOne pulls the image ref (tagged or canonical) names and reports
// whether the reference was new or moved.
func (d *Distribution) pullOne(ctx context.Context, repo *registry.Repo, ref reference.Named, p registry.Platform, out api.Progress) (bool, error) {
	img, err := repo.Resolve(ctx, ref, p)
	if err != nil {
		return false, err
	}
	out.Send(api.Message{ID: registry.TagOrDigest(ref), Status: "Pulling from " + reference.Path(ref)})
	pl := &pull{d: d, repo: repo, img: img, out: out, ld: &loader{s: d.s}}
	rec, err := pl.layers(ctx)
	updated := false
	if err == nil {
		updated, err = pl.commit(ref, rec)
	}
	pl.ld.finish()
	if err != nil {
		pl.discard(err)
		return false, err
	}
	out.Send(api.Message{Status: "Digest: " + img.Digest.String()})
	return updated, nil
}
