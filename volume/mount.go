package volume

import (
	"fmt"
	"strconv"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// Mount is one resolved mount of a container.
type Mount struct {
	Type mount.Type
	// Source is the host path: the bind source or the volume's _data;
	// empty for tmpfs.
	Source      string
	Destination string
	RW          bool
	// Propagation applies to binds; empty means rprivate.
	Propagation mount.Propagation
	// Name and Driver are the volume's, for volume mounts.
	Name   string
	Driver string
	// Mode is the -v mode text as Docker shows it in inspect ("ro,Z").
	Mode string
	// NoCopy (volume-nocopy) skips filling a new volume from the image.
	NoCopy bool
	// NonRecursive (bind-nonrecursive) binds without submounts.
	NonRecursive bool
	// CreateSource makes a missing bind source a directory (-v does,
	// --mount does not).
	CreateSource bool
	TmpfsOptions *mount.TmpfsOptions

	// labels are given to a volume this mount creates (volume-label).
	labels map[string]string
}

// MountPoint is the mount as container inspect shows it.
func (m Mount) MountPoint() container.MountPoint {
	mp := container.MountPoint{
		Type:        m.Type,
		Name:        m.Name,
		Source:      m.Source,
		Destination: m.Destination,
		Driver:      m.Driver,
		Mode:        m.Mode,
		RW:          m.RW,
		Propagation: m.Propagation,
	}
	if m.Type == mount.TypeBind && mp.Propagation == "" {
		mp.Propagation = mount.PropagationRPrivate
	}
	return mp
}

// MountPoints are the mounts as container inspect shows them.
func MountPoints(ms []Mount) []container.MountPoint {
	out := make([]container.MountPoint, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.MountPoint())
	}
	return out
}

// OCI is the mount as the runtime spec takes it: binds and volumes as
// (r)bind mounts with ro/rw and propagation, tmpfs as a tmpfs with Docker's
// noexec,nosuid,nodev and its size and mode.
func (m Mount) OCI() specs.Mount {
	if m.Type == mount.TypeTmpfs {
		opts := []string{"noexec", "nosuid", "nodev"}
		if !m.RW {
			opts = append(opts, "ro")
		}
		if t := m.TmpfsOptions; t != nil {
			if t.SizeBytes > 0 {
				opts = append(opts, "size="+strconv.FormatInt(t.SizeBytes, 10))
			}
			if t.Mode != 0 {
				opts = append(opts, fmt.Sprintf("mode=%o", t.Mode.Perm()))
			}
			for _, o := range t.Options {
				if len(o) == 1 {
					opts = append(opts, o[0])
				} else if len(o) == 2 {
					opts = append(opts, o[0]+"="+o[1])
				}
			}
		}
		return specs.Mount{Type: "tmpfs", Source: "tmpfs", Destination: m.Destination, Options: opts}
	}
	bind := "rbind"
	if m.NonRecursive {
		bind = "bind"
	}
	rw := "rw"
	if !m.RW {
		rw = "ro"
	}
	prop := m.Propagation
	if prop == "" {
		prop = mount.PropagationRPrivate
	}
	return specs.Mount{Type: "bind", Source: m.Source, Destination: m.Destination, Options: []string{bind, rw, string(prop)}}
}
