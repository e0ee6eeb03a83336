package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// MergeImageConfig fills cfg from the image's config the way `docker create`
// does: the container's values win, the image fills what is unset.
//
//   - Env: the container's, then the image's variables it does not set.
//   - Cmd and Entrypoint: with no Entrypoint given, Cmd defaults to the
//     image's and Entrypoint to the image's; with an Entrypoint given, the
//     image's Cmd is not used. An explicit empty entrypoint ([""]) clears it.
//   - User, WorkingDir, StopSignal: the image's when unset.
//   - Labels, ExposedPorts, Volumes: the union; the container wins on labels.
//   - Healthcheck: the image's, field by field where the container's is zero.
//
// OnBuild and Shell stay the container's own: dockerd does not copy them
// either (inspect shows them null), and a CMD-SHELL healthcheck then runs
// under /bin/sh -c as in Docker.
//
// It returns an invalid-argument error when there is nothing to run.
func MergeImageConfig(cfg *container.Config, img *dockerspec.DockerOCIImageConfig) error {
	if img != nil {
		if err := mergeImage(cfg, img); err != nil {
			return err
		}
	}
	if len(cfg.Entrypoint) == 1 && cfg.Entrypoint[0] == "" {
		cfg.Entrypoint = nil
	}
	if len(cfg.Entrypoint) == 0 && len(cfg.Cmd) == 0 {
		// Docker 28's wording; Docker before 23 said "No command specified".
		return errdefs.ErrInvalidArgument.WithMessage("no command specified")
	}
	return nil
}

func mergeImage(cfg *container.Config, img *dockerspec.DockerOCIImageConfig) error {
	if cfg.User == "" {
		cfg.User = img.User
	}
	if cfg.WorkingDir == "" {
		cfg.WorkingDir = img.WorkingDir
	}
	if cfg.StopSignal == "" {
		cfg.StopSignal = img.StopSignal
	}
	cfg.Env = mergeEnv(cfg.Env, img.Env)
	cfg.Labels = mergeMap(cfg.Labels, img.Labels)
	cfg.Volumes = mergeMap(cfg.Volumes, img.Volumes)
	if len(cfg.Entrypoint) == 0 {
		if len(cfg.Cmd) == 0 {
			cfg.Cmd = slices.Clone(img.Cmd)
		}
		if cfg.Entrypoint == nil {
			cfg.Entrypoint = slices.Clone(img.Entrypoint)
		}
	}
	cfg.Healthcheck = mergeHealthcheck(cfg.Healthcheck, img.Healthcheck)
	return mergePorts(cfg, img.ExposedPorts)
}

// mergeEnv appends to env the image's variables whose key env does not set.
func mergeEnv(env, imageEnv []string) []string {
	if len(env) == 0 {
		return slices.Clone(imageEnv)
	}
	for _, kv := range imageEnv {
		if !hasEnv(env, envKey(kv)) {
			env = append(env, kv)
		}
	}
	return env
}

// mergeMap returns m with the entries of image whose keys m lacks; never nil.
func mergeMap[V any](m, image map[string]V) map[string]V {
	if m == nil {
		m = make(map[string]V, len(image))
	}
	for k, v := range image {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return m
}

func mergeHealthcheck(hc, image *container.HealthConfig) *container.HealthConfig {
	if image == nil {
		return hc
	}
	if hc == nil {
		c := *image
		c.Test = slices.Clone(image.Test)
		return &c
	}
	if len(hc.Test) == 0 {
		hc.Test = slices.Clone(image.Test)
	}
	if hc.Interval == 0 {
		hc.Interval = image.Interval
	}
	if hc.Timeout == 0 {
		hc.Timeout = image.Timeout
	}
	if hc.StartPeriod == 0 {
		hc.StartPeriod = image.StartPeriod
	}
	if hc.StartInterval == 0 {
		hc.StartInterval = image.StartInterval
	}
	if hc.Retries == 0 {
		hc.Retries = image.Retries
	}
	return hc
}

func mergePorts(cfg *container.Config, image map[string]struct{}) error {
	if len(image) == 0 {
		return nil
	}
	if cfg.ExposedPorts == nil {
		cfg.ExposedPorts = make(network.PortSet, len(image))
	}
	for _, s := range slices.Sorted(maps.Keys(image)) {
		p, err := network.ParsePort(s)
		if err != nil {
			return fmt.Errorf("image exposed port: %w: %w", err, errdefs.ErrInvalidArgument)
		}
		cfg.ExposedPorts[p] = struct{}{}
	}
	return nil
}

// Command returns the process's path and arguments as Docker records them
// (inspect's Path and Args): Entrypoint followed by Cmd. Args is never nil.
func Command(cfg *container.Config) (path string, args []string) {
	argv := make([]string, 0, len(cfg.Entrypoint)+len(cfg.Cmd))
	argv = append(argv, cfg.Entrypoint...)
	argv = append(argv, cfg.Cmd...)
	if len(argv) == 0 {
		return "", []string{}
	}
	return argv[0], argv[1:]
}

func envKey(kv string) string {
	k, _, _ := strings.Cut(kv, "=")
	return k
}

func envIndex(env []string, key string) int {
	return slices.IndexFunc(env, func(kv string) bool { return envKey(kv) == key })
}

func hasEnv(env []string, key string) bool { return envIndex(env, key) >= 0 }

// replaceOrAppendEnv applies overrides to env as Docker does: KEY=VALUE
// replaces or appends, a bare KEY removes the variable.
func replaceOrAppendEnv(env, overrides []string) []string {
	env = slices.Clone(env)
	for _, kv := range overrides {
		key, _, set := strings.Cut(kv, "=")
		i := envIndex(env, key)
		switch {
		case i >= 0 && set:
			env[i] = kv
		case i >= 0:
			env = slices.Delete(env, i, i+1)
		case set:
			env = append(env, kv)
		}
	}
	return env
}
