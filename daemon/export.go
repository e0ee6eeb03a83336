package daemon

import (
	"context"
	"io"

	eventtypes "github.com/moby/moby/api/types/events"
)

// Export writes the container's root filesystem (without its volumes, as
// Docker) to w as a tar, as GET /containers/{id}/export.
func (cs *Containers) Export(ctx context.Context, ref string, w io.Writer) error {
	c, view, closeView, err := cs.openView(ref, false)
	if err != nil {
		return err
	}
	defer closeView()
	if err := view.Export(w); err != nil {
		return err
	}
	cs.publish(c, eventtypes.ActionExport, nil)
	return nil
}
