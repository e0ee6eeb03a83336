package image

import (
	"context"
	"encoding/json"

	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
)

// ConfigOf returns the ID and a private copy of the config (history and
// diff IDs included) of the image name designates. The builder matches
// --cache-from images with it, as Docker's image cache reads image.Image.
func (s *Service) ConfigOf(ctx context.Context, name string) (digest.Digest, dockerspec.DockerOCIImage, error) {
	st := s.snapshot()
	id, err := st.resolve(name)
	if err != nil {
		return "", dockerspec.DockerOCIImage{}, err
	}
	r, ok := st.records[id]
	if !ok {
		return "", dockerspec.DockerOCIImage{}, errdefs.ErrNotFound.WithMessage("No such image: " + name)
	}
	b, err := json.Marshal(r.config.DockerOCIImage)
	if err != nil {
		return "", dockerspec.DockerOCIImage{}, err
	}
	var out dockerspec.DockerOCIImage
	err = json.Unmarshal(b, &out)
	return id, out, err
}

// AddImage stores an image from its config, whose layers are all in the
// store already, as the child of parent (""): the builder rebuilds the
// steps of a --cache-from image's history with it.
func (s *Service) AddImage(cfg dockerspec.DockerOCIImage, parent digest.Digest) (digest.Digest, error) {
	return s.commitImage(&imageConfig{DockerOCIImage: cfg}, parent, nil)
}
