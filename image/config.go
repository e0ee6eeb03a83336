package image

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/berth/berth/layer"
	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
)

// imageConfig is an image config as Docker reads it: the OCI image config
// with Docker's container config, plus the legacy top-level comment.
type imageConfig struct {
	dockerspec.DockerOCIImage
	Comment string `json:"comment,omitempty"`
}

// parseConfig decodes and checks a config blob the way Docker's
// image.NewFromJSON and load do.
func parseConfig(b []byte) (*imageConfig, error) {
	var c imageConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("invalid image JSON: " + err.Error())
	}
	if c.RootFS.Type == "" && len(c.RootFS.DiffIDs) == 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage("invalid image JSON, no RootFS key")
	}
	if c.RootFS.Type != "layers" {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unsupported rootfs type %q", c.RootFS.Type))
	}
	for _, d := range c.RootFS.DiffIDs {
		if err := d.Validate(); err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid diff ID %q: %v", d, err))
		}
	}
	if c.OS != "" && c.OS != runtime.GOOS {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("cannot load %s image on %s", c.OS, runtime.GOOS))
	}
	return &c, nil
}

// chainIDs returns the chain ID of every layer of diffIDs, base first.
func chainIDs(diffIDs []digest.Digest) []digest.Digest {
	out := make([]digest.Digest, len(diffIDs))
	for i := range diffIDs {
		out[i] = layer.ChainID(diffIDs[:i+1])
	}
	return out
}

// record is what the service keeps in memory about one image, so that
// list and inspect never read files.
type record struct {
	id     digest.Digest
	config *imageConfig
	chain  []digest.Digest // chain IDs, base first
	sizes  []int64         // each layer's own size
	size   int64           // all layers
}

// newRecord describes the image id with config c; every layer must be in ls.
func newRecord(ls *layer.Store, id digest.Digest, c *imageConfig) (*record, error) {
	r := &record{id: id, config: c, chain: chainIDs(c.RootFS.DiffIDs)}
	for _, chainID := range r.chain {
		l, err := ls.Get(chainID)
		if err != nil {
			return nil, err
		}
		r.sizes = append(r.sizes, l.Size)
		r.size += l.Size
	}
	return r, nil
}

func (r *record) labels() map[string]string { return r.config.Config.Labels }

// createdUnix is the image's creation time in Unix seconds, 0 when unknown.
func (r *record) createdUnix() int64 {
	if r.config.Created == nil {
		return 0
	}
	return r.config.Created.Unix()
}
