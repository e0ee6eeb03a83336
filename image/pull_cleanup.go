package image

import (
	"errors"
	"syscall"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// discard removes what a failed pull wrote beside its layers (which the
// loader removes): the image config, manifest and metadata of a commit
// that did not complete and, when the disk is full, the blobs it
// downloaded. Those are kept after other failures, so that a retry does not
// fetch them again; with the disk full they hold the space a retry, or
// anything else, needs. Blobs the metadata lists (an image's) stay.
func (pl *pull) discard(err error) {
	s := pl.d.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.snapshot()
	if id := digest.FromBytes(pl.img.RawConfig); st.records[id] == nil {
		if err := s.content.Delete(id); err != nil && !errdefs.IsNotFound(err) {
			s.log.Warn("removing the config of a failed pull", "id", id, "err", err)
		}
	}
	s.blobs.prune(st) // metadata written for an image that did not appear
	drop := []digest.Digest{pl.img.Manifest.Digest}
	if noSpace(err) {
		pl.mu.Lock()
		drop = append(drop, pl.fetched...)
		pl.mu.Unlock()
	}
	s.blobs.dropUnlisted(drop)
}

// noSpace reports whether err is the filesystem (or the user's quota)
// being full: neither another attempt nor another endpoint helps then.
func noSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
