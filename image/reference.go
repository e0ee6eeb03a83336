package image

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// normalize parses a repository reference as Docker stores it: familiar
// names expanded (busybox -> docker.io/library/busybox), "latest" added
// when there is neither tag nor digest, and a tag dropped when a digest is
// also given.
func normalize(s string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	if c, ok := named.(reference.Canonical); ok {
		if _, tagged := named.(reference.NamedTagged); tagged {
			return reference.WithDigest(reference.TrimNamed(c), c.Digest())
		}
		return named, nil
	}
	return reference.TagNameOnly(named), nil
}

func isCanonical(ref reference.Named) bool {
	_, ok := ref.(reference.Canonical)
	return ok
}

// noSuchImage is Docker's 404 for a name that resolves to no image.
func noSuchImage(ref reference.Reference) error {
	if named, ok := ref.(reference.Named); ok {
		ref = reference.TagNameOnly(named)
	}
	return errdefs.ErrNotFound.WithMessage("No such image: " + reference.FamiliarString(ref))
}

// resolve finds the image that name designates, as Docker's GetImage does:
// a full ID ("sha256:<hex>" or <hex>), a reference (name, name:tag,
// name@digest), or else a unique prefix of an ID, with or without "sha256:".
func (st *state) resolve(name string) (digest.Digest, error) {
	ref, err := reference.ParseAnyReference(name)
	if err != nil {
		return "", errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	named, ok := ref.(reference.Named)
	if !ok {
		d := ref.(reference.Digested).Digest()
		if _, ok := st.records[d]; ok {
			return d, nil
		}
		return "", noSuchImage(ref)
	}
	if norm, err := normalize(name); err == nil {
		if id, ok := st.index.References[norm.String()]; ok {
			return id, nil
		}
	}
	if id, ok := st.searchPrefix(name); ok {
		return id, nil
	}
	return "", noSuchImage(named)
}

// searchPrefix finds the only image whose ID starts with prefix.
func (st *state) searchPrefix(prefix string) (digest.Digest, bool) {
	hex := strings.TrimPrefix(prefix, string(digest.SHA256)+":")
	if hex == "" || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", false
	}
	var found digest.Digest
	for id := range st.records {
		if strings.HasPrefix(id.Encoded(), hex) {
			if found != "" {
				return "", false // ambiguous: Docker answers "No such image" too
			}
			found = id
		}
	}
	return found, found != ""
}

// isIDPrefix reports whether name designates id by (a prefix of) its ID
// rather than by a reference.
func isIDPrefix(id digest.Digest, name string) bool {
	return strings.HasPrefix(id.String(), name) || strings.HasPrefix(id.Encoded(), name)
}

// shortID is the 12-character form of an image ID that Docker prints.
func shortID(id digest.Digest) string {
	hex := id.Encoded()
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return hex
}

// repoTagReference is Docker's parsing of the repo and tag parameters of
// tag and import: repo may carry a tag, tag overrides it, "latest" is the
// default, digests are refused.
func repoTagReference(repo, tag string) (reference.NamedTagged, error) {
	if repo == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage("repository name must have at least one component")
	}
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	if _, ok := named.(reference.Digested); ok {
		return nil, errdefs.ErrInvalidArgument.WithMessage("cannot import digest reference")
	}
	if tag != "" {
		tagged, err := reference.WithTag(named, tag)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		named = tagged
	}
	tagged, ok := reference.TagNameOnly(named).(reference.NamedTagged)
	if !ok {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unexpected reference: %q", named.String()))
	}
	if reference.FamiliarName(tagged) == string(digest.SHA256) {
		return nil, errdefs.ErrInvalidArgument.WithMessage("refusing to create an ambiguous tag using digest algorithm as name")
	}
	return tagged, nil
}

// Resolve returns the ID of the image name designates: a full or short ID
// (with or without "sha256:"), name, name:tag or name@digest.
func (s *Service) Resolve(ctx context.Context, name string) (digest.Digest, error) {
	return s.snapshot().resolve(name)
}
