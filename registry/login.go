package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// Login checks the credentials ac against the registry at
// ac.ServerAddress ("" or Docker Hub's index address for Docker Hub), as
// POST /auth does: it authenticates and asks for /v2/. Wrong credentials
// are an errdefs.ErrUnauthenticated error worded as Docker's. The result is
// the identity token to use instead of the password; go-containerregistry
// does not ask for one, so it is empty.
func (c *Client) Login(ctx context.Context, ac registrytypes.AuthConfig) (string, error) {
	reg, insecure, err := c.registry(ctx, serverHost(ac.ServerAddress))
	if err != nil {
		return "", err
	}
	base := fmt.Sprintf("%s://%s/v2/", reg.Scheme(), reg.RegistryStr())
	tr, _, err := c.transport(ctx, reg, insecure, ac, nil)
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
			return "", errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("Get %q: %s", base, describe(terr)))
		}
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("login attempt to %s failed with status: %d %s",
			resp.Request.URL.Redacted(), resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	return "", nil
}
