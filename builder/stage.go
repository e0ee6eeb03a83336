package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berth/berth/api"
	"github.com/berth/berth/image"
	"github.com/berth/berth/layer"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
)

// stage is the state of the stage being built: the image of the last
// step and the config the next one starts from.
type stage struct {
	imageID string // "" until a step of a FROM scratch stage made one
	config  dockerspec.DockerOCIImageConfig
	diffIDs []digest.Digest
	args    []instructions.KeyValuePairOptional // ARGs declared in this stage
	cmdSet  bool                                // CMD given in this stage
	author  string
}

// chainID is the chain ID of the stage image's top layer ("" for none).
func (s *stage) chainID() digest.Digest {
	if len(s.diffIDs) == 0 {
		return ""
	}
	return layer.ChainID(s.diffIDs)
}

// env is what words expand with: ENV values win over ARG values.
func (s *stage) env() shell.EnvGetter {
	var env []string
	for _, kv := range s.args {
		if kv.Value != nil {
			env = append(env, kv.String())
		}
	}
	return shell.EnvsFromSlice(append(env, s.config.Env...))
}

func (r *run) buildStage(ctx context.Context, i int) (string, error) {
	st := r.df.Stages[i]
	r.printStep(st.SourceCode)
	platform := r.opts.Platform
	if st.Platform != "" {
		platform = r.expandMeta(st.Platform)
	}
	if platform != "" && !strings.HasPrefix(platform, "linux") {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("platform %q is not supported: only linux images can be built", platform))
	}
	s, err := r.baseOf(ctx, i, r.expandMeta(st.BaseName), platform)
	if err != nil {
		return "", err
	}
	if s.imageID != "" {
		r.out.printf(" ---> %s\n", shortID(s.imageID))
	}
	if err := r.runTriggers(ctx, s); err != nil {
		return "", err
	}
	for _, c := range st.Commands {
		r.printStep(c.(fmt.Stringer).String())
		if err := r.dispatch(ctx, s, c); err != nil {
			return "", err
		}
	}
	if s.imageID == "" {
		return "", errdefs.ErrInvalidArgument.WithMessage("No image was generated. Is your Dockerfile empty?")
	}
	return s.imageID, nil
}

// runTriggers runs the base image's ONBUILD triggers, which the child
// image does not inherit.
func (r *run) runTriggers(ctx context.Context, s *stage) error {
	triggers := s.config.OnBuild
	if len(triggers) == 0 {
		return nil
	}
	s.config.OnBuild = nil
	cmds, err := r.parseTriggers(triggers)
	if err != nil {
		return err
	}
	plural := "s"
	if len(cmds) == 1 {
		plural = ""
	}
	r.out.printf("# Executing %d build trigger%s\n", len(cmds), plural)
	for _, c := range cmds {
		if err := r.dispatch(ctx, s, c); err != nil {
			return err
		}
	}
	return nil
}

// baseOf is the starting state of stage i: an earlier stage's result,
// scratch, or an image (pulled when missing or when asked to).
func (r *run) baseOf(ctx context.Context, i int, name, platform string) (*stage, error) {
	if j, ok := r.df.StageIndex(name); ok && j < i {
		id, _ := r.shared.stageImage(j)
		return r.stageFromImage(ctx, id)
	}
	if strings.EqualFold(name, "scratch") {
		return &stage{}, nil
	}
	id, err := r.imageFor(ctx, name, platform, r.opts.Pull)
	if err != nil {
		return nil, err
	}
	return r.stageFromImage(ctx, id)
}

// imageFor finds the image name in the store, pulling it if it is not
// there or pull is set.
func (r *run) imageFor(ctx context.Context, name, platform string, pull bool) (string, error) {
	if !pull {
		if id, err := r.b.images.Resolve(ctx, name); err == nil {
			return id.String(), nil
		}
	}
	if r.b.dist == nil {
		return "", errdefs.ErrNotFound.WithMessage("No such image: " + name)
	}
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid reference format: %s", name))
	}
	ref = reference.TagNameOnly(ref)
	auth := r.opts.AuthConfigs[reference.Domain(ref)]
	if reference.Domain(ref) == "docker.io" {
		if a, ok := r.opts.AuthConfigs["https://index.docker.io/v1/"]; ok {
			auth = a
		}
	}
	progress := r.out.p
	if r.out.quiet {
		progress = api.Discard
	}
	if err := r.b.dist.Pull(ctx, image.PullOptions{Image: ref.String(), Platform: platform, Auth: auth}, progress); err != nil {
		return "", err
	}
	id, err := r.b.images.Resolve(ctx, ref.String())
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// stageFromImage starts a stage from image id: its config (a private
// copy) and layers.
func (r *run) stageFromImage(ctx context.Context, id string) (*stage, error) {
	insp, err := r.b.images.Inspect(ctx, id)
	if err != nil {
		return nil, err
	}
	s := &stage{imageID: insp.ID}
	if insp.Config != nil {
		b, err := json.Marshal(insp.Config)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &s.config); err != nil {
			return nil, err
		}
	}
	for _, l := range insp.RootFS.Layers {
		s.diffIDs = append(s.diffIDs, digest.Digest(l))
	}
	return s, nil
}
