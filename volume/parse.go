package volume

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// Parse turns a container's -v binds, --mount entries and its image's
// VOLUMEs into mounts, without touching the filesystem. Volume mounts carry
// the volume name (empty for an anonymous volume) and no Source yet;
// Store.Resolve fills those in. --tmpfs entries stay with the runtime spec
// but count for duplicate destinations.
func Parse(hc *container.HostConfig, imageVolumes map[string]struct{}) ([]Mount, error) {
	var ms []Mount
	seen := map[string]bool{}
	add := func(m Mount) error {
		if seen[m.Destination] {
			return errdefs.ErrInvalidArgument.WithMessage("Duplicate mount point: " + m.Destination)
		}
		seen[m.Destination] = true
		ms = append(ms, m)
		return nil
	}
	for _, b := range hc.Binds {
		m, err := ParseBind(b)
		if err != nil {
			return nil, err
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for _, spec := range hc.Mounts {
		m, err := FromMount(spec)
		if err != nil {
			return nil, err
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for _, dst := range slices.Sorted(mapKeys(hc.Tmpfs)) {
		dst = filepath.Clean(dst)
		if seen[dst] {
			return nil, errdefs.ErrInvalidArgument.WithMessage("Duplicate mount point: " + dst)
		}
		seen[dst] = true
	}
	for _, dst := range slices.Sorted(mapKeys(imageVolumes)) {
		dst = filepath.Clean(dst)
		if seen[dst] || !filepath.IsAbs(dst) || dst == "/" {
			continue
		}
		seen[dst] = true
		ms = append(ms, Mount{Type: mount.TypeVolume, Destination: dst, RW: true, Driver: DriverLocal})
	}
	return ms, nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// ParseBind parses one -v spec: /host:/ctr[:opts] (a bind; a missing host
// directory is created), name:/ctr[:opts] (a named volume) or /ctr (an
// anonymous volume). opts are comma-separated: ro|rw, z|Z, a propagation
// (binds), nocopy (volumes).
func ParseBind(raw string) (Mount, error) {
	invalidSpec := errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid volume specification: '%s'", raw))
	arr := strings.Split(raw, ":")
	if arr[0] == "" {
		return Mount{}, invalidSpec
	}
	var src, dst, mode string
	switch len(arr) {
	case 1:
		dst = arr[0]
	case 2:
		if _, err := parseMode(arr[1], true); err == nil {
			// "/foo:rw": a destination and a mode, but volumes need a source.
			return Mount{}, invalidSpec
		}
		src, dst = arr[0], arr[1]
	case 3:
		src, dst, mode = arr[0], arr[1], arr[2]
	default:
		return Mount{}, invalidSpec
	}
	m := Mount{Type: mount.TypeVolume, Destination: dst, RW: true, Mode: mode}
	switch {
	case src == "":
	case filepath.IsAbs(src):
		m.Type, m.Source, m.CreateSource = mount.TypeBind, filepath.Clean(src), true
	default:
		m.Name = src
	}
	opts, err := parseMode(mode, m.Type == mount.TypeBind)
	if err != nil {
		return Mount{}, err
	}
	m.RW, m.Propagation, m.NoCopy = !opts.ro, opts.propagation, opts.nocopy
	if m.Type == mount.TypeVolume {
		m.Driver = DriverLocal
		if m.Name != "" && mode == "" {
			m.Mode = "z" // what dockerd shows for a named -v volume
		}
	}
	if err := checkTarget(m.Type, &m.Destination); err != nil {
		return Mount{}, fmt.Errorf("invalid volume specification: '%s': %w", raw, err)
	}
	if m.Name != "" {
		if err := ValidateName(m.Name); err != nil {
			return Mount{}, err
		}
	}
	return m, nil
}

type modeOpts struct {
	ro          bool
	propagation mount.Propagation
	nocopy      bool
}

// parseMode checks a -v mode: each kind at most once.
func parseMode(mode string, bind bool) (modeOpts, error) {
	var o modeOpts
	if mode == "" {
		return o, nil
	}
	invalid := errdefs.ErrInvalidArgument.WithMessage("invalid mode: " + mode)
	seen := map[string]bool{}
	once := func(kind string) bool {
		if seen[kind] {
			return false
		}
		seen[kind] = true
		return true
	}
	for _, p := range strings.Split(mode, ",") {
		var ok bool
		switch {
		case p == "ro" || p == "rw":
			ok, o.ro = once("rw"), p == "ro"
		case p == "z" || p == "Z":
			ok = once("label")
		case p == "consistent" || p == "cached" || p == "delegated":
			ok = once("consistency")
		case slices.Contains(mount.Propagations, mount.Propagation(p)):
			ok, o.propagation = bind && once("propagation"), mount.Propagation(p)
		case p == "nocopy":
			ok, o.nocopy = !bind && once("copy"), true
		}
		if !ok {
			return modeOpts{}, invalid
		}
	}
	return o, nil
}

func mountConfigError(t mount.Type, msg string) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid mount config for type %q: %s", t, msg))
}

// checkTarget requires an absolute destination other than "/", and cleans it.
func checkTarget(t mount.Type, dst *string) error {
	if *dst == "" {
		return mountConfigError(t, "field Target must not be empty")
	}
	if !filepath.IsAbs(*dst) {
		return mountConfigError(t, fmt.Sprintf("invalid mount path: '%s' mount path must be absolute", *dst))
	}
	*dst = filepath.Clean(*dst)
	if *dst == "/" {
		return mountConfigError(t, "invalid specification: destination can't be '/'")
	}
	return nil
}

// FromMount checks one --mount entry (HostConfig.Mounts) and converts it.
// A bind's source is not checked here; Store.Resolve does it.
func FromMount(spec mount.Mount) (Mount, error) {
	t := spec.Type
	m := Mount{Type: t, Destination: spec.Target, RW: !spec.ReadOnly}
	if err := checkTarget(t, &m.Destination); err != nil {
		return Mount{}, err
	}
	switch t {
	case mount.TypeBind:
		if err := fromBind(spec, &m); err != nil {
			return Mount{}, err
		}
	case mount.TypeVolume:
		if err := fromVolume(spec, &m); err != nil {
			return Mount{}, err
		}
	case mount.TypeTmpfs:
		if err := fromTmpfs(spec, &m); err != nil {
			return Mount{}, err
		}
	case mount.TypeImage, mount.TypeCluster, mount.TypeNamedPipe:
		return Mount{}, errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf("mount type %q is not supported by Berth yet", t))
	default:
		return Mount{}, mountConfigError(t, "mount type unknown")
	}
	return m, nil
}

func fromBind(spec mount.Mount, m *Mount) error {
	switch {
	case spec.Source == "":
		return mountConfigError(spec.Type, "field Source must not be empty")
	case !filepath.IsAbs(spec.Source):
		return mountConfigError(spec.Type, fmt.Sprintf("invalid mount path: '%s' mount path must be absolute", spec.Source))
	case spec.VolumeOptions != nil:
		return mountConfigError(spec.Type, "field VolumeOptions must not be specified")
	case spec.TmpfsOptions != nil:
		return mountConfigError(spec.Type, "field TmpfsOptions must not be specified")
	}
	m.Source = filepath.Clean(spec.Source)
	if b := spec.BindOptions; b != nil {
		if b.Propagation != "" && !slices.Contains(mount.Propagations, b.Propagation) {
			return mountConfigError(spec.Type, fmt.Sprintf("invalid propagation mode: %s", b.Propagation))
		}
		if b.ReadOnlyNonRecursive || b.ReadOnlyForceRecursive {
			return errdefs.ErrNotImplemented.WithMessage("bind-recursive is not supported by Berth yet")
		}
		m.Propagation, m.NonRecursive, m.CreateSource = b.Propagation, b.NonRecursive, b.CreateMountpoint
	}
	return nil
}

func fromVolume(spec mount.Mount, m *Mount) error {
	switch {
	case spec.BindOptions != nil:
		return mountConfigError(spec.Type, "field BindOptions must not be specified")
	case spec.TmpfsOptions != nil:
		return mountConfigError(spec.Type, "field TmpfsOptions must not be specified")
	}
	m.Name, m.Driver = spec.Source, DriverLocal
	if m.Name != "" {
		if err := ValidateName(m.Name); err != nil {
			return err
		}
	}
	if v := spec.VolumeOptions; v != nil {
		if v.Subpath != "" {
			return errdefs.ErrNotImplemented.WithMessage("volume-subpath is not supported by Berth yet")
		}
		if d := v.DriverConfig; d != nil {
			if d.Name != "" && d.Name != DriverLocal {
				return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("error looking up volume plugin %s: plugin %q not found", d.Name, d.Name))
			}
			if err := checkDriverOpts(d.Options); err != nil {
				return err
			}
		}
		m.NoCopy, m.labels = v.NoCopy, v.Labels
	}
	return nil
}

func fromTmpfs(spec mount.Mount, m *Mount) error {
	switch {
	case spec.Source != "":
		return mountConfigError(spec.Type, "field Source must not be specified")
	case spec.BindOptions != nil:
		return mountConfigError(spec.Type, "field BindOptions must not be specified")
	case spec.VolumeOptions != nil:
		return mountConfigError(spec.Type, "field VolumeOptions must not be specified")
	}
	if t := spec.TmpfsOptions; t != nil {
		if t.SizeBytes < 0 {
			return mountConfigError(spec.Type, "invalid tmpfs size")
		}
		c := *t
		m.TmpfsOptions = &c
	}
	return nil
}
