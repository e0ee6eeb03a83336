package daemon

import (
	"context"

	containertypes "github.com/moby/moby/api/types/container"
)

// Changes lists what the container added, changed and deleted in its
// filesystem, as GET /containers/{id}/changes (docker diff).
func (cs *Containers) Changes(ctx context.Context, ref string) ([]containertypes.FilesystemChange, error) {
	c, err := cs.store.Get(ref)
	if err != nil {
		return nil, err
	}
	changes, err := cs.layers.Changes(c.ID)
	if err != nil {
		return nil, err
	}
	out := make([]containertypes.FilesystemChange, 0, len(changes))
	for _, ch := range changes {
		out = append(out, containertypes.FilesystemChange{Path: ch.Path, Kind: containertypes.ChangeType(ch.Kind)})
	}
	return out, nil
}
