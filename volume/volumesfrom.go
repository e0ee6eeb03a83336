package volume

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// ParseVolumesFrom reads one --volumes-from entry, "container[:mode]", as
// Docker: the mode may say ro or rw (default rw) and z or Z; propagation
// and nocopy are refused.
func ParseVolumesFrom(spec string) (ref string, rw bool, err error) {
	if spec == "" {
		return "", false, errdefs.ErrInvalidArgument.WithMessage("volumes-from specification cannot be an empty string")
	}
	ref, mode, _ := strings.Cut(spec, ":")
	if mode == "" {
		return ref, true, nil
	}
	rw = true
	seenRW, seenLabel := false, false
	for opt := range strings.SplitSeq(mode, ",") {
		switch {
		case (opt == "ro" || opt == "rw") && !seenRW:
			seenRW, rw = true, opt == "rw"
		case (opt == "z" || opt == "Z") && !seenLabel:
			seenLabel = true
		default:
			return "", false, errdefs.ErrInvalidArgument.WithMessage("invalid mode: " + mode)
		}
	}
	return ref, rw, nil
}

// Inherit is what a container gets of source's mounts through
// --volumes-from: its volumes and binds (not tmpfs), read-only if either
// side says so, never filled from the image again.
func Inherit(source []Mount, rw bool) []Mount {
	var out []Mount
	for _, m := range source {
		if m.Type != mount.TypeVolume && m.Type != mount.TypeBind {
			continue
		}
		m.RW = m.RW && rw
		m.Mode = ""
		m.NoCopy = true
		m.CreateSource = false
		out = append(out, m)
	}
	return out
}

// ResolveWith is Resolve for a container that also inherits mounts
// (--volumes-from): its own -v and --mount win at the same destination,
// inherited mounts win over the image's VOLUMEs, and every inherited
// volume is referenced for containerID. On error nothing is left behind.
func (s *Store) ResolveWith(ctx context.Context, containerID string, hc *container.HostConfig, imageVolumes map[string]struct{}, inherited []Mount) ([]Mount, error) {
	covered := map[string]bool{}
	for _, m := range inherited {
		covered[filepath.Clean(m.Destination)] = true
	}
	imageVols := maps.Clone(imageVolumes)
	for dest := range imageVols {
		if covered[filepath.Clean(dest)] {
			delete(imageVols, dest)
		}
	}
	own, err := s.Resolve(ctx, containerID, hc, imageVols)
	if err != nil {
		return nil, err
	}
	mine := map[string]bool{}
	for _, m := range own {
		mine[filepath.Clean(m.Destination)] = true
	}
	var out []Mount
	for _, m := range inherited {
		if mine[filepath.Clean(m.Destination)] {
			continue
		}
		if m.Type == mount.TypeVolume {
			if err := s.Ref(m.Name, containerID); err != nil {
				_ = s.Release(containerID, true)
				return nil, fmt.Errorf("volumes-from: %w", err)
			}
		}
		mine[filepath.Clean(m.Destination)] = true
		out = append(out, m)
	}
	return append(out, own...), nil
}
