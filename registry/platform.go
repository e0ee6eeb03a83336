package registry

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Platform is the platform a pull selects, and whether the user asked for
// it (then an image of another platform is refused).
type Platform struct {
	ocispec.Platform
	Explicit bool
}

// ParsePlatform reads "os[/arch[/variant]]"; "" is the host's platform.
func ParsePlatform(s string) (Platform, error) {
	if strings.TrimSpace(s) == "" {
		return Platform{Platform: normalizePlatform(ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH})}, nil
	}
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "/")
	if len(parts) > 3 || slices.Contains(parts, "") {
		return Platform{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q: unknown operating system or architecture: invalid argument", s))
	}
	p := ocispec.Platform{OS: parts[0]}
	switch {
	case len(parts) == 1 && parts[0] != "linux" && parts[0] != "windows" && parts[0] != "darwin":
		// "arm64" alone names an architecture of the host's OS, as containerd reads it.
		p = ocispec.Platform{OS: runtime.GOOS, Architecture: parts[0]}
	case len(parts) == 1:
		p.Architecture = runtime.GOARCH
	case len(parts) >= 2:
		p.Architecture = parts[1]
		if len(parts) == 3 {
			p.Variant = parts[2]
		}
	}
	return Platform{Platform: normalizePlatform(p), Explicit: true}, nil
}

// String is "os/arch[/variant]".
func (p Platform) String() string { return FormatPlatform(p.Platform) }

// FormatPlatform is "os/arch[/variant]".
func FormatPlatform(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// normalizePlatform spells p the way OCI indexes do (x86_64 is amd64,
// aarch64 is arm64) and drops default variants (arm64/v8), as containerd.
func normalizePlatform(p ocispec.Platform) ocispec.Platform {
	p.OS = strings.ToLower(p.OS)
	arch, variant := strings.ToLower(p.Architecture), strings.ToLower(p.Variant)
	switch arch {
	case "x86_64", "x86-64", "amd64":
		arch = "amd64"
		if variant == "v1" {
			variant = ""
		}
	case "aarch64", "arm64":
		arch = "arm64"
		if variant == "8" || variant == "v8" {
			variant = ""
		}
	case "armhf":
		arch, variant = "arm", "v7"
	case "armel":
		arch, variant = "arm", "v6"
	case "arm":
		switch variant {
		case "", "7":
			variant = "v7"
		case "5", "6", "8":
			variant = "v" + variant
		}
	case "i386", "i686", "x86":
		arch = "386"
	}
	p.Architecture, p.Variant = arch, variant
	return p
}

// Matches reports whether an image of platform have runs as want.
func (p Platform) Matches(have ocispec.Platform) bool {
	h := normalizePlatform(have)
	return h.OS == p.OS && h.Architecture == p.Architecture && h.Variant == p.Variant
}

// choose picks the manifest of an index for p: the first whose platform
// matches (entries without a platform, such as attestations, never do).
func (p Platform) choose(manifests []ocispec.Descriptor) (ocispec.Descriptor, bool) {
	for _, m := range manifests {
		if m.Platform != nil && p.Matches(*m.Platform) {
			return m, true
		}
	}
	return ocispec.Descriptor{}, false
}
