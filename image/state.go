package image

import (
	"maps"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// state is an immutable snapshot of the service: the persisted index plus
// what is derived from it. Readers take the current snapshot and need no
// lock afterwards; writers build a new one and install it.
type state struct {
	index    *index
	records  map[digest.Digest]*record
	refs     map[digest.Digest][]reference.Named // per image, sorted
	children map[digest.Digest]int               // number of images naming each as parent
}

func newState(ix *index, records map[digest.Digest]*record) *state {
	st := &state{index: ix, records: records,
		refs: map[digest.Digest][]reference.Named{}, children: map[digest.Digest]int{}}
	for s, id := range ix.References {
		ref, err := reference.ParseNormalizedNamed(s)
		if err != nil {
			continue // written by us, so parseable; skip rather than fail
		}
		st.refs[id] = append(st.refs[id], ref)
	}
	for _, refs := range st.refs {
		slices.SortFunc(refs, func(a, b reference.Named) int { return strings.Compare(a.String(), b.String()) })
	}
	for _, m := range ix.Images {
		if m.Parent != "" {
			st.children[m.Parent]++
		}
	}
	return st
}

// with returns the state after next replaces the index, with added records.
func (st *state) with(next *index, added ...*record) *state {
	records := maps.Clone(st.records)
	for _, r := range added {
		records[r.id] = r
	}
	for id := range records {
		if _, ok := next.Images[id]; !ok {
			delete(records, id)
		}
	}
	return newState(next, records)
}

// repoTags and repoDigests are the familiar references to id.
func (st *state) repoTags(id digest.Digest) []string {
	return st.familiar(id, func(r reference.Named) bool { return !isCanonical(r) })
}

func (st *state) repoDigests(id digest.Digest) []string {
	return st.familiar(id, isCanonical)
}

func (st *state) familiar(id digest.Digest, keep func(reference.Named) bool) []string {
	out := []string{}
	for _, r := range st.refs[id] {
		if keep(r) {
			out = append(out, reference.FamiliarString(r))
		}
	}
	return out
}

// referencedLayers is the set of chain IDs some image uses.
func (st *state) referencedLayers() map[digest.Digest]bool {
	used := map[digest.Digest]bool{}
	for _, r := range st.records {
		for _, c := range r.chain {
			used[c] = true
		}
	}
	return used
}
