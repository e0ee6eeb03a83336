package image

import (
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// conflictType is what can stop an image deletion (Docker's classes).
type conflictType int

const (
	conflictDependentChild conflictType = 1 << iota
	conflictRunningContainer
	conflictActiveReference
	conflictStoppedContainer

	conflictHard = conflictDependentChild | conflictRunningContainer  // even force cannot override
	conflictSoft = conflictActiveReference | conflictStoppedContainer // force overrides
)

type deleteConflict struct {
	id      digest.Digest
	hard    bool
	used    bool // by a container
	message string
}

func (c *deleteConflict) err() error {
	how := "must be forced"
	if c.hard {
		how = "cannot be forced"
	}
	return errdefs.ErrConflict.WithMessage(fmt.Sprintf("conflict: unable to delete %s (%s) - %s", shortID(c.id), how, c.message))
}

// conflict returns the first conflict of the kinds in mask that forbids
// deleting id, or nil.
func (d *deletion) conflict(id digest.Digest, mask conflictType) *deleteConflict {
	if mask&conflictDependentChild != 0 && d.children(id) > 0 {
		return &deleteConflict{id: id, hard: true, message: "image has dependent child images"}
	}
	ctr, running := d.s.containerUsingLocked(id)
	if mask&conflictRunningContainer != 0 && ctr != "" && running {
		return &deleteConflict{id: id, hard: true, used: true,
			message: "image is being used by running container " + shortContainerID(ctr)}
	}
	if mask&conflictActiveReference != 0 && len(d.refs(id)) > 0 {
		return &deleteConflict{id: id, message: "image is referenced in multiple repositories"}
	}
	if mask&conflictStoppedContainer != 0 && ctr != "" && !running {
		return &deleteConflict{id: id, used: true,
			message: "image is being used by stopped container " + shortContainerID(ctr)}
	}
	return nil
}
