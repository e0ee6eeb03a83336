package image

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/berth/berth/api"
	"github.com/berth/berth/registry"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	eventtypes "github.com/moby/moby/api/types/events"
	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
)

// PushOptions are the parameters of POST /images/{name}/push.
type PushOptions struct {
	Name string                   // the repository, perhaps with a tag
	Tag  string                   // the tag to push; "" pushes every tag of the repository
	Auth registrytypes.AuthConfig // from X-Registry-Auth
}

// pushTarget is one tag to push and the image it names.
type pushTarget struct {
	ref reference.NamedTagged
	id  digest.Digest
}

// Push sends the tag (or every tag) of a repository to its registry, as
// POST /images/{name}/push, writing Docker's progress messages to out. An
// image pulled or pushed before goes as the same manifest, byte for byte;
// other layers are compressed (gzip) once and kept. Blobs the registry has
// are not sent again, and blobs known to be in another repository of the
// registry are mounted from there.
func (d *Distribution) Push(ctx context.Context, opts PushOptions, out api.Progress) error {
	if out == nil {
		out = api.Discard
	}
	named, err := reference.ParseNormalizedNamed(opts.Name)
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	if _, ok := named.(reference.Digested); ok {
		return errdefs.ErrInvalidArgument.WithMessage("cannot push a digest reference")
	}
	if opts.Tag != "" {
		if named, err = reference.WithTag(named, opts.Tag); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
	}
	out = &syncProgress{out: out}
	out.Send(api.Message{Status: fmt.Sprintf("The push refers to repository [%s]", named.Name())})
	targets, err := d.s.snapshot().pushTargets(named)
	if err != nil {
		return err
	}
	repo, err := d.rc.Open(ctx, named, opts.Auth, true, d.mountSources(targets, named)...)
	if err != nil {
		return err
	}
	for _, t := range targets {
		if err := d.pushTag(ctx, repo, t, out); err != nil {
			return err
		}
	}
	d.publishRef(eventtypes.ActionPush, named)
	return nil
}

// pushTargets are the tags of named's repository to push (only named's
// tag if it has one), sorted, with Docker's errors when there are none.
func (st *state) pushTargets(named reference.Named) ([]pushTarget, error) {
	var all []pushTarget
	for s, id := range st.index.References {
		ref, err := reference.ParseNormalizedNamed(s)
		if err != nil || ref.Name() != named.Name() || isCanonical(ref) {
			continue
		}
		if t, ok := ref.(reference.NamedTagged); ok {
			all = append(all, pushTarget{t, id})
		}
	}
	if len(all) == 0 {
		return nil, errdefs.ErrNotFound.WithMessage("An image does not exist locally with the tag: " + reference.FamiliarName(named))
	}
	if t, ok := named.(reference.NamedTagged); ok {
		all = slices.DeleteFunc(all, func(p pushTarget) bool { return p.ref.Tag() != t.Tag() })
		if len(all) == 0 {
			return nil, errdefs.ErrNotFound.WithMessage("tag does not exist: " + reference.FamiliarString(named))
		}
	}
	slices.SortFunc(all, func(a, b pushTarget) int { return strings.Compare(a.ref.Tag(), b.ref.Tag()) })
	return all, nil
}

// mountSources are the other repositories of the target's registry known
// to have blobs of the images to push.
func (d *Distribution) mountSources(targets []pushTarget, target reference.Named) []reference.Named {
	st, meta := d.s.snapshot(), d.s.blobs.snapshot()
	layers := map[digest.Digest]bool{}
	for _, t := range targets {
		if r := st.records[t.id]; r != nil {
			for _, dd := range r.config.RootFS.DiffIDs {
				layers[dd] = true
			}
		}
	}
	var out []reference.Named
	for _, info := range meta.Blobs {
		if !layers[info.DiffID] {
			continue
		}
		for _, s := range info.Repos {
			if src := mountSource(s, target); src != nil && !slices.ContainsFunc(out, func(r reference.Named) bool { return r.Name() == src.Name() }) {
				out = append(out, src)
			}
		}
	}
	slices.SortFunc(out, func(a, b reference.Named) int { return strings.Compare(a.Name(), b.Name()) })
	return out[:min(len(out), maxBlobRepos)]
}

// mountSource reads repo as a place target's registry can mount from: a
// repository of the same registry, not target itself; else nil.
func mountSource(repo string, target reference.Named) reference.Named {
	src, err := reference.ParseNormalizedNamed(repo)
	if err != nil || reference.Domain(src) != reference.Domain(target) || src.Name() == target.Name() {
		return nil
	}
	return src
}

// pushTag pushes one tag: its layers, its config, then its manifest.
func (d *Distribution) pushTag(ctx context.Context, repo *registry.Repo, t pushTarget, out api.Progress) error {
	rec := d.s.snapshot().records[t.id]
	if rec == nil {
		return errdefs.ErrNotFound.WithMessage("tag does not exist: " + reference.FamiliarString(t.ref))
	}
	config, err := d.s.content.Get(t.id)
	if err != nil {
		return err
	}
	pp := &push{d: d, repo: repo, rec: rec, config: config, out: out, foreignOK: d.rc.AllowsNondistributable(ctx, repo.Name)}
	if err := pp.plan(ctx); err != nil {
		return err
	}
	if err := pp.sendLayers(ctx); err != nil {
		return err
	}
	if err := pp.sendConfig(ctx); err != nil {
		return err
	}
	if pp.manifest == nil {
		if err := pp.buildManifest(); err != nil {
			return err
		}
	}
	if err := repo.PutManifest(ctx, t.ref.Tag(), pp.mediaType, pp.manifest); err != nil {
		return err
	}
	md := digest.FromBytes(pp.manifest)
	out.Send(api.Message{Status: fmt.Sprintf("%s: digest: %s size: %d", t.ref.Tag(), md, len(pp.manifest))})
	aux, err := json.Marshal(struct {
		Tag    string
		Digest string
		Size   int
	}{t.ref.Tag(), md.String(), len(pp.manifest)})
	if err != nil {
		return err
	}
	raw := json.RawMessage(aux)
	out.Send(api.Message{ProgressDetail: &api.ProgressDetail{}, Aux: &raw})
	return pp.record(t, md)
}
