package image

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImportOptions are the parameters of POST /images/create?fromSrc=-.
type ImportOptions struct {
	Repo, Tag string   // optional name for the image
	Changes   []string // Dockerfile lines: CMD, ENV, EXPOSE, ...
	Message   string   // commit message, kept as the comment
	Platform  string   // os[/arch[/variant]], default this machine's
}

// Import makes a one-layer image from the rootfs tar r (plain, gzip or
// zstd), as `docker import`, and returns its ID.
func (s *Service) Import(ctx context.Context, r io.Reader, opts ImportOptions) (digest.Digest, error) {
	var ref reference.NamedTagged
	if opts.Repo != "" {
		var err error
		if ref, err = repoTagReference(opts.Repo, opts.Tag); err != nil {
			return "", err
		}
	}
	platform, err := parsePlatform(opts.Platform)
	if err != nil {
		return "", err
	}
	var cfg dockerspec.DockerOCIImageConfig
	if err := applyChanges(&cfg, opts.Changes); err != nil {
		return "", err
	}
	l, err := s.layers.Register(ctxReader{ctx, r}, "")
	if err != nil {
		return "", fmt.Errorf("importing layer: %w", err)
	}
	s.mu.Lock()
	s.leaseLocked(l.ChainID)
	s.mu.Unlock()
	id, err := s.commitImport(l.DiffID, platform, cfg, opts.Message, ref)
	s.mu.Lock()
	s.releaseLocked(l.ChainID)
	if err != nil {
		s.removeLayersLocked([]digest.Digest{l.ChainID})
	}
	s.mu.Unlock()
	return id, err
}

// commitImport writes the config of the imported image and adds it, and
// its tag, to the index.
func (s *Service) commitImport(diffID digest.Digest, platform ocispec.Platform, cfg dockerspec.DockerOCIImageConfig,
	msg string, ref reference.NamedTagged) (digest.Digest, error) {
	created := time.Now().UTC()
	c := &imageConfig{Comment: msg, DockerOCIImage: dockerspec.DockerOCIImage{
		Image: ocispec.Image{Created: &created, Platform: platform,
			RootFS:  ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
			History: []ocispec.History{{Created: &created, Comment: msg}}},
		Config: cfg,
	}}
	id, err := s.commitImage(c, "", ref) // also checks the layer is still there
	if err != nil {
		return "", err
	}
	s.publish(eventtypes.ActionImport, id, id.String(), cfg.Labels)
	return id, nil
}

// parsePlatform reads os[/arch[/variant]]; only Linux images are served.
func parsePlatform(s string) (ocispec.Platform, error) {
	p := ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	if s == "" {
		return p, nil
	}
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) > 3 || parts[0] == "" {
		return p, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q: unknown operating system or architecture: invalid argument", s))
	}
	if parts[0] != "linux" {
		return p, errdefs.ErrInvalidArgument.WithMessage("operating system is not supported")
	}
	if len(parts) > 1 {
		p.Architecture = normalizeArch(parts[1])
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p, nil
}

func normalizeArch(a string) string {
	switch a {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "i386", "i686":
		return "386"
	}
	return a
}
