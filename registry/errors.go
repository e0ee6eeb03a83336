package registry

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// pullError words err, met while pulling ref, as Docker does: unknown
// manifests and repositories and denied access are 404s naming the
// reference; the rest keeps the registry's words.
func (r *Repo) pullError(err error, ref reference.Named) error {
	var terr *transport.Error
	if !errors.As(err, &terr) || len(terr.Errors) == 0 {
		return r.words(err, false)
	}
	cause := describe(terr)
	switch terr.Errors[0].Code {
	case transport.ManifestUnknownErrorCode:
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("manifest for %s not found: %s", reference.FamiliarString(ref), cause))
	case transport.NameUnknownErrorCode:
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("repository %s not found: %s", reference.FamiliarName(ref), cause))
	case transport.DeniedErrorCode:
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("pull access denied for %s, repository does not exist or may require 'docker login': %s", reference.FamiliarName(ref), cause))
	case transport.UnauthorizedErrorCode:
		if r.ep == nil || !r.ep.basic.Load() { // a token registry that would not give us access
			return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("pull access denied for %s, repository does not exist or may require 'docker login': %s", reference.FamiliarName(ref), cause))
		}
	}
	return r.words(err, false)
}

// words rewords a registry error as Docker prints it: `Head "URL": cause`
// (the cause alone for a push), "no basic auth credentials" when the
// registry wants a password and none was given.
func (r *Repo) words(err error, push bool) error {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return err
	}
	prefix := ""
	if req := terr.Request; req != nil && !push { // push errors are bare in Docker's output
		prefix = fmt.Sprintf("%s %q: ", methodName(req.Method), req.URL.Redacted())
	}
	if terr.StatusCode == http.StatusUnauthorized && !r.hasAuth && r.ep != nil && r.ep.basic.Load() {
		return errors.New(prefix + "no basic auth credentials")
	}
	if terr.StatusCode == http.StatusUnauthorized && r.hasAuth {
		return errors.New(describe(terr)) // credentials refused: Docker says only why
	}
	return errors.New(prefix + describe(terr))
}

// describe is a registry error as Docker's distribution client spells it:
// "manifest unknown: manifest unknown".
func describe(terr *transport.Error) string {
	if len(terr.Errors) == 0 {
		return fmt.Sprintf("received unexpected HTTP status: %d %s", terr.StatusCode, http.StatusText(terr.StatusCode))
	}
	var parts []string
	for _, d := range terr.Errors {
		code := strings.ToLower(strings.ReplaceAll(string(d.Code), "_", " "))
		parts = append(parts, code+": "+d.Message)
	}
	return strings.Join(parts, "; ")
}
