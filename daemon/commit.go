package daemon

import (
	"context"
	"maps"
	"strings"

	"github.com/berth/berth/image"
	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// CommitOptions are the parameters of POST /commit.
type CommitOptions struct {
	Container       string
	Repo, Tag       string
	Author, Comment string
	Changes         []string
	Pause           bool
	// Config, when set, replaces the container's config (fields it leaves
	// empty are taken from the container's), as Docker.
	Config *containertypes.Config
}

// Commit makes an image of the container's changes, as POST /commit, and
// returns its ID. A running container is paused meanwhile unless told not to.
func (cs *Containers) Commit(ctx context.Context, opts CommitOptions) (string, error) {
	if opts.Container == "" {
		return "", errdefs.ErrInvalidArgument.WithMessage("No container specified")
	}
	c, err := cs.store.Get(opts.Container)
	if err != nil {
		return "", err
	}
	c.Lock()
	cfg := commitConfig(opts.Config, c.Config)
	iopts := image.CommitOptions{Repo: opts.Repo, Tag: opts.Tag, Author: opts.Author, Comment: opts.Comment,
		Changes: opts.Changes, Config: cfg, Parent: c.Image, CreatedBy: strings.Join(c.Config.Cmd, " ")}
	running, paused := c.State.IsRunning(), c.State.Status == containertypes.StatePaused
	c.Unlock()
	if err := image.CheckCommit(iopts); err != nil {
		return "", err
	}
	if opts.Pause && running && !paused {
		if err := cs.Pause(ctx, c.ID); err != nil {
			return "", err
		}
		defer func() { _ = cs.Unpause(context.WithoutCancel(ctx), c.ID) }()
	}
	diff, err := cs.layers.RWDiff(c.ID)
	if err != nil {
		return "", err
	}
	defer diff.Close()
	id, err := cs.images.Commit(ctx, diff, iopts)
	if err != nil {
		return "", err
	}
	cs.publish(c, eventtypes.ActionCommit, map[string]string{"comment": opts.Comment})
	return id.String(), nil
}

// commitConfig is the image config a commit gets: the request's config
// with blanks filled from the container's (Docker's merge).
func commitConfig(req, ctr *containertypes.Config) dockerspec.DockerOCIImageConfig {
	cfg := *ctr
	if req != nil {
		cfg = *req
		if cfg.User == "" {
			cfg.User = ctr.User
		}
		if len(cfg.Env) == 0 {
			cfg.Env = ctr.Env
		}
		if len(cfg.Cmd) == 0 && len(cfg.Entrypoint) == 0 {
			cfg.Cmd, cfg.Entrypoint = ctr.Cmd, ctr.Entrypoint
		}
		if len(cfg.ExposedPorts) == 0 {
			cfg.ExposedPorts = ctr.ExposedPorts
		}
		if len(cfg.Volumes) == 0 {
			cfg.Volumes = ctr.Volumes
		}
		if cfg.WorkingDir == "" {
			cfg.WorkingDir = ctr.WorkingDir
		}
		cfg.Labels = merged(ctr.Labels, cfg.Labels)
	}
	out := dockerspec.DockerOCIImageConfig{
		ImageConfig: ocispec.ImageConfig{User: cfg.User, Env: cfg.Env, Entrypoint: cfg.Entrypoint, Cmd: cfg.Cmd,
			Volumes: cfg.Volumes, WorkingDir: cfg.WorkingDir, Labels: cfg.Labels, StopSignal: cfg.StopSignal},
		DockerOCIImageConfigExt: dockerspec.DockerOCIImageConfigExt{OnBuild: cfg.OnBuild, Shell: cfg.Shell},
	}
	if len(cfg.ExposedPorts) > 0 {
		out.ExposedPorts = map[string]struct{}{}
		for p := range cfg.ExposedPorts {
			out.ExposedPorts[p.String()] = struct{}{}
		}
	}
	if h := cfg.Healthcheck; h != nil {
		out.Healthcheck = &dockerspec.HealthcheckConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}
	}
	return out
}

func merged(base, over map[string]string) map[string]string {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, over)
	return out
}
