package cli

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// containerHeaders are the column titles of container tables.
var containerHeaders = map[string]string{
	"ID":           "CONTAINER ID",
	"Names":        "NAMES",
	"Image":        "IMAGE",
	"Command":      "COMMAND",
	"CreatedAt":    "CREATED AT",
	"RunningFor":   "CREATED",
	"Ports":        "PORTS",
	"State":        "STATE",
	"Status":       "STATUS",
	"Size":         "SIZE",
	"Labels":       "LABELS",
	"Mounts":       "MOUNTS",
	"LocalVolumes": "LOCAL VOLUMES",
	"Networks":     "NETWORKS",
	"Platform":     "PLATFORM",
}

// containerRow is one container of a list; its methods are the fields a
// --format template can use, as in "docker ps".
type containerRow struct {
	c     container.Summary
	trunc bool
	now   time.Time
}

func (r *containerRow) MarshalJSON() ([]byte, error) { return marshalMethods(r) }

func (r *containerRow) ID() string {
	if r.trunc {
		return shortID(r.c.ID)
	}
	return r.c.ID
}

// Names is the container's names without their "/" prefix; truncated, only
// the first that is not a legacy link name.
func (r *containerRow) Names() string {
	var names []string
	for _, n := range r.c.Names {
		name := strings.TrimPrefix(n, "/")
		if r.trunc {
			if !strings.Contains(name, "/") {
				return name
			}
			continue
		}
		names = append(names, name)
	}
	return strings.Join(names, ",")
}

// Image is the image the container was created from; truncated, an image
// ID is shortened and a digest dropped.
func (r *containerRow) Image() string {
	if r.c.Image == "" {
		return "<no image>"
	}
	if !r.trunc {
		return r.c.Image
	}
	if short := shortID(r.c.ImageID); short == shortID(r.c.Image) {
		return short
	}
	ref, err := reference.ParseNormalizedNamed(r.c.Image)
	if err != nil {
		return r.c.Image
	}
	if _, ok := ref.(reference.Digested); ok {
		var tag string
		if t, ok := ref.(reference.Tagged); ok {
			tag = t.Tag()
		}
		ref = reference.TrimNamed(ref)
		if tag != "" {
			if tagged, err := reference.WithTag(ref, tag); err == nil {
				ref = tagged
			}
		}
	}
	return reference.FamiliarString(ref)
}

func (r *containerRow) Command() string {
	command := r.c.Command
	if r.trunc {
		command = ellipsis(command, 20)
	}
	return strconv.Quote(command)
}

func (r *containerRow) CreatedAt() string { return time.Unix(r.c.Created, 0).String() }

func (r *containerRow) RunningFor() string {
	return humanAge(time.Unix(r.c.Created, 0), nowOr(r.now))
}

func (r *containerRow) Ports() string  { return displayPorts(r.c.Ports) }
func (r *containerRow) State() string  { return string(r.c.State) }
func (r *containerRow) Status() string { return r.c.Status }

func (r *containerRow) Size() string {
	size := humanSize(r.c.SizeRw)
	if r.c.SizeRootFs > 0 {
		size = fmt.Sprintf("%s (virtual %s)", size, humanSize(r.c.SizeRootFs))
	}
	return size
}

func (r *containerRow) Labels() string { return joinLabels(r.c.Labels) }

// Label is the value of one label, for templates: {{.Label "name"}}.
func (r *containerRow) Label(name string) string { return r.c.Labels[name] }

func (r *containerRow) Mounts() string {
	var names []string
	for _, m := range r.c.Mounts {
		name := m.Name
		if name == "" {
			name = m.Source
		}
		if r.trunc {
			name = ellipsis(name, 15)
		}
		names = append(names, name)
	}
	return strings.Join(names, ",")
}

// LocalVolumes counts the mounts of volumes with the "local" driver.
func (r *containerRow) LocalVolumes() string {
	n := 0
	for _, m := range r.c.Mounts {
		if m.Driver == "local" {
			n++
		}
	}
	return strconv.Itoa(n)
}

func (r *containerRow) Networks() string {
	if r.c.NetworkSettings == nil {
		return ""
	}
	var names []string
	for name := range r.c.NetworkSettings.Networks {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// Platform is the platform of the container's image, when the daemon
// says.
func (r *containerRow) Platform() *platform {
	d := r.c.ImageManifestDescriptor
	if d == nil || d.Platform == nil {
		return nil
	}
	return &platform{*d.Platform}
}

// platform prints as "os/arch[/variant]" and encodes as the OCI type.
type platform struct{ ocispec.Platform }

func (p platform) String() string {
	return strings.Join(slices.DeleteFunc([]string{p.OS, p.Architecture, p.Variant}, func(s string) bool { return s == "" }), "/")
}

// joinLabels is "k=v,k=v" sorted by key.
func joinLabels(labels map[string]string) string {
	pairs := make([]string, 0, len(labels))
	for k, v := range labels {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

// displayPorts formats ports like "docker ps": consecutive ports grouped
// into ranges, "0.0.0.0:8080->80/tcp" for published ones.
func displayPorts(ports []container.PortSummary) string {
	ports = append([]container.PortSummary(nil), ports...)
	sort.Slice(ports, func(i, j int) bool {
		a, b := ports[i], ports[j]
		switch {
		case a.PrivatePort != b.PrivatePort:
			return a.PrivatePort < b.PrivatePort
		case a.IP != b.IP:
			return a.IP.Less(b.IP)
		case a.PublicPort != b.PublicPort:
			return a.PublicPort < b.PublicPort
		}
		return a.Type < b.Type
	})
	type portRange struct{ first, last uint16 }
	groups := map[string]*portRange{}
	var keys, result, mappings []string
	for _, p := range ports {
		key := p.Type
		if p.IP.IsValid() {
			if p.PublicPort != p.PrivatePort {
				hostPort := net.JoinHostPort(p.IP.String(), strconv.Itoa(int(p.PublicPort)))
				mappings = append(mappings, fmt.Sprintf("%s->%d/%s", hostPort, p.PrivatePort, p.Type))
				continue
			}
			key = p.IP.String() + "/" + p.Type
		}
		g := groups[key]
		switch {
		case g == nil:
			groups[key] = &portRange{p.PrivatePort, p.PrivatePort}
			keys = append(keys, key)
		case p.PrivatePort == g.last+1:
			g.last = p.PrivatePort
		default:
			result = append(result, formatPortRange(key, g.first, g.last))
			groups[key] = &portRange{p.PrivatePort, p.PrivatePort}
		}
	}
	for _, key := range keys {
		g := groups[key]
		result = append(result, formatPortRange(key, g.first, g.last))
	}
	return strings.Join(append(result, mappings...), ", ")
}

func formatPortRange(key string, first, last uint16) string {
	ip, proto, hasIP := strings.Cut(key, "/")
	if !hasIP {
		proto, ip = key, ""
	}
	ports := strconv.Itoa(int(first))
	if first != last {
		ports = fmt.Sprintf("%s-%d", ports, last)
	}
	if ip != "" {
		ports = fmt.Sprintf("%s->%s", net.JoinHostPort(ip, ports), ports)
	}
	return ports + "/" + proto
}
