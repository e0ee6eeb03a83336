package registry

import (
	"runtime"
	"testing"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParsePlatform(t *testing.T) {
	host, err := ParsePlatform("")
	if err != nil || host.Explicit || host.OS != runtime.GOOS || host.Architecture != normalizePlatform(ocispec.Platform{Architecture: runtime.GOARCH}).Architecture {
		t.Errorf("default platform: %+v, %v", host, err)
	}
	for in, want := range map[string]string{
		"linux/amd64":     "linux/amd64",
		"Linux/X86_64":    "linux/amd64",
		"linux/arm64/v8":  "linux/arm64",
		"linux/aarch64":   "linux/arm64",
		"linux/arm":       "linux/arm/v7",
		"linux/arm/v6":    "linux/arm/v6",
		"linux/armhf":     "linux/arm/v7",
		"linux/386":       "linux/386",
		"windows/amd64":   "windows/amd64",
		"linux/riscv64":   "linux/riscv64",
		"linux/ppc64le/x": "linux/ppc64le/x",
	} {
		p, err := ParsePlatform(in)
		if err != nil || !p.Explicit || p.String() != want {
			t.Errorf("ParsePlatform(%q) = %s, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"linux//", "a/b/c/d", "/amd64"} {
		if _, err := ParsePlatform(bad); !errdefs.IsInvalidArgument(err) {
			t.Errorf("ParsePlatform(%q): want an invalid-argument error, got %v", bad, err)
		}
	}
}

func TestChoosePlatform(t *testing.T) {
	manifests := []ocispec.Descriptor{
		{Digest: "sha256:a1", Platform: &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}},
		{Digest: "sha256:a2", Platform: &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{Digest: "sha256:a3", Platform: &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}},
		{Digest: "sha256:a4", Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}},
		{Digest: "sha256:a5", Platform: &ocispec.Platform{OS: "unknown", Architecture: "unknown"}}, // an attestation
		{Digest: "sha256:a6"},
	}
	for in, want := range map[string]string{"linux/amd64": "sha256:a4", "linux/arm64": "sha256:a3", "linux/arm": "sha256:a2", "linux/arm/v6": "sha256:a1", "linux/s390x": ""} {
		p, _ := ParsePlatform(in)
		got, ok := p.choose(manifests)
		if string(got.Digest) != want || ok != (want != "") {
			t.Errorf("%s: chose %q (%v), want %q", in, got.Digest, ok, want)
		}
	}
}
