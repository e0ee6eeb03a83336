package image

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
)

// Delete removes the reference or image name designates, as
// DELETE /images/{name}. A reference is untagged, and the image deleted
// with it if nothing else names it; an ID deletes the image, which needs
// force when several repositories name it. Unless noPrune, untagged parent
// images go too. Layers no image uses any more are removed.
func (s *Service) Delete(ctx context.Context, name string, force, noPrune bool) ([]image.DeleteResponse, error) {
	resp, _, err := s.delete(name, force, !noPrune)
	return resp, err
}

// delete is Delete, also returning the bytes of the layers removed.
func (s *Service) delete(name string, force, prune bool) ([]image.DeleteResponse, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.snapshot()
	id, err := st.resolve(name)
	if err != nil {
		return nil, 0, err
	}
	d := &deletion{s: s, before: st, next: st.index.clone()}
	if err := d.run(id, name, force, prune); err != nil {
		return nil, 0, err
	}
	return d.commitLocked()
}

// deletion is one Delete in progress: its index changes, responses and
// events are committed together, or not at all.
type deletion struct {
	s       *Service
	before  *state
	next    *index
	records []image.DeleteResponse
	events  []pendingEvent
}

type pendingEvent struct {
	action eventtypes.Action
	id     digest.Digest
}

// run follows Docker's ImageDelete.
func (d *deletion) run(id digest.Digest, name string, force, prune bool) error {
	refs := d.refs(id)
	if isIDPrefix(id, name) {
		if isSingleReference(refs) {
			mask := conflictHard
			if !force {
				mask |= conflictStoppedContainer
			}
			if c := d.conflict(id, mask); c != nil {
				return c.err()
			}
			d.untagAll(id)
		}
		return d.deleteImage(id, force, prune, false)
	}
	if !force && isSingleReference(refs) {
		if ctr, _ := d.s.containerUsingLocked(id); ctr != "" {
			return errdefs.ErrConflict.WithMessage(fmt.Sprintf("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s",
				name, shortContainerID(ctr), shortID(id)))
		}
	}
	ref, err := normalize(name)
	if err != nil {
		return err
	}
	d.untag(id, ref)
	if !isCanonical(ref) && !slices.ContainsFunc(d.refs(id), func(r reference.Named) bool { return !isCanonical(r) && r.Name() == ref.Name() }) {
		// The last tag of this repository is gone: its digests go too.
		for _, r := range d.refs(id) {
			if r.Name() == ref.Name() {
				d.untag(id, r)
			}
		}
	}
	if len(d.refs(id)) > 0 {
		return nil
	}
	return d.deleteImage(id, force, prune, true)
}

// deleteImage deletes id unless a conflict forbids it; quiet ignores the
// soft conflicts of images that are neither dangling nor used, as Docker
// does after untagging. With prune, the parent follows quietly.
func (d *deletion) deleteImage(id digest.Digest, force, prune, quiet bool) error {
	mask := conflictHard
	if !force {
		mask |= conflictSoft
	}
	if c := d.conflict(id, mask); c != nil {
		if quiet && (!d.dangling(id) || c.used) {
			return nil
		}
		return c.err()
	}
	parent := d.next.Images[id].Parent
	d.untagAll(id)
	delete(d.next.Images, id)
	d.records = append(d.records, image.DeleteResponse{Deleted: id.String()})
	d.events = append(d.events, pendingEvent{eventtypes.ActionDelete, id})
	if !prune || parent == "" {
		return nil
	}
	if _, ok := d.next.Images[parent]; !ok {
		return nil
	}
	return d.deleteImage(parent, false, true, true)
}

func (d *deletion) untag(id digest.Digest, ref reference.Named) {
	delete(d.next.References, ref.String())
	d.records = append(d.records, image.DeleteResponse{Untagged: reference.FamiliarString(ref)})
	d.events = append(d.events, pendingEvent{eventtypes.ActionUnTag, id})
}

func (d *deletion) untagAll(id digest.Digest) {
	for _, r := range d.refs(id) {
		d.untag(id, r)
	}
}

// refs are the references to id in the index being built, sorted.
func (d *deletion) refs(id digest.Digest) []reference.Named {
	var out []reference.Named
	for s, target := range d.next.References {
		if target != id {
			continue
		}
		if ref, err := reference.ParseNormalizedNamed(s); err == nil {
			out = append(out, ref)
		}
	}
	slices.SortFunc(out, func(a, b reference.Named) int { return strings.Compare(a.String(), b.String()) })
	return out
}

func (d *deletion) children(id digest.Digest) int {
	n := 0
	for _, m := range d.next.Images {
		if m.Parent == id {
			n++
		}
	}
	return n
}

func (d *deletion) dangling(id digest.Digest) bool {
	return len(d.refs(id)) == 0 && d.children(id) == 0
}

// commitLocked persists the deletion, removes the layers it freed and
// publishes its events. It returns the responses and the bytes freed.
func (d *deletion) commitLocked() ([]image.DeleteResponse, int64, error) {
	if err := d.s.commitLocked(d.next); err != nil {
		return nil, 0, err
	}
	var out []image.DeleteResponse
	var freed int64
	for _, rec := range d.records {
		out = append(out, rec)
		if rec.Deleted == "" {
			continue
		}
		id := digest.Digest(rec.Deleted)
		if err := d.s.content.Delete(id); err != nil {
			d.s.log.Warn("removing config of deleted image", "id", id, "err", err) // NewService retries
		}
		for _, l := range d.s.removeLayersLocked(d.before.records[id].chain) {
			out = append(out, image.DeleteResponse{Deleted: l.ChainID.String()})
			freed += l.Size
		}
	}
	for _, e := range d.events {
		d.s.publish(e.action, e.id, e.id.String(), d.before.records[e.id].labels())
	}
	return out, freed, nil
}

// isSingleReference reports whether refs hold at most one tag and all are
// of one repository (Docker's rule for deleting by ID without force).
func isSingleReference(refs []reference.Named) bool {
	if len(refs) <= 1 {
		return len(refs) == 1
	}
	var single reference.Named
	canonical := map[string]bool{}
	for _, r := range refs {
		switch {
		case isCanonical(r):
			canonical[r.Name()] = true
		case single == nil:
			single = r
		default:
			return false
		}
	}
	if single == nil {
		single = refs[0]
	}
	return len(canonical) == 1 && canonical[single.Name()]
}

func shortContainerID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
