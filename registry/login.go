package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// clientID is what Docker calls itself to token servers; some issue
// refresh tokens only to known clients.
const clientID = "docker"

// Login checks the credentials ac against the registry at
// ac.ServerAddress ("" or Docker Hub's index address for Docker Hub), as
// POST /auth does: it authenticates and asks for /v2/. Wrong credentials
// are an errdefs.ErrUnauthenticated error worded as Docker's.
//
// With a token registry, the token is asked for as Docker does (offline
// access, client "docker"); a refresh token in the answer is returned as
// the identity token, which clients store instead of the password. An
// identity token in ac is exchanged for an access token (OAuth2 refresh).
func (c *Client) Login(ctx context.Context, ac registrytypes.AuthConfig) (string, error) {
	reg, insecure, err := c.registry(ctx, serverHost(ac.ServerAddress))
	if err != nil {
		return "", err
	}
	inner, err := c.hostTransport(reg.RegistryStr(), insecure)
	if err != nil {
		return "", err
	}
	ep := &endpoint{host: reg.RegistryStr(), allowHTTP: insecure, inner: inner}
	tr := transport.NewUserAgent(transport.NewRetry(ep), c.userAgent)
	ch, err := transport.Ping(ctx, reg, tr)
	if err != nil {
		return "", err
	}
	scheme := "https"
	if ch.Insecure {
		scheme = "http"
	}
	base := fmt.Sprintf("%s://%s/v2/", scheme, reg.RegistryStr())
	if !strings.EqualFold(ch.Scheme, "bearer") {
		return "", c.loginBasic(ctx, reg, insecure, ac, base)
	}
	tok, err := fetchToken(ctx, tr, ch, ac)
	if err != nil {
		return "", loginError(base, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	if err := checkV2((&http.Client{Transport: tr}).Do(req)); err != nil {
		return "", err
	}
	return tok.RefreshToken, nil
}

// loginBasic checks credentials of a registry with basic (or no)
// authentication.
func (c *Client) loginBasic(ctx context.Context, reg name.Registry, insecure bool, ac registrytypes.AuthConfig, base string) error {
	tr, _, err := c.transport(ctx, reg, insecure, ac, nil)
	if err != nil {
		return loginError(base, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
	if err != nil {
		return err
	}
	return checkV2((&http.Client{Transport: tr}).Do(req))
}

// checkV2 reads the answer to an authenticated GET /v2/.
func checkV2(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("login attempt to %s failed with status: %d %s",
			resp.Request.URL.Redacted(), resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	return nil
}

// loginError words a refused login as Docker: `Get "URL": cause`, 401.
func loginError(base string, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("Get %q: %s", base, describe(terr)))
	}
	var uerr *tokenError
	if errors.As(err, &uerr) && (uerr.status == http.StatusUnauthorized || uerr.status == http.StatusForbidden) {
		return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("Get %q: unauthorized: %s", base, uerr.details))
	}
	return err
}

// tokenError is a token server's refusal.
type tokenError struct {
	status  int
	details string
}

func (e *tokenError) Error() string {
	return fmt.Sprintf("token request failed with status %d: %s", e.status, e.details)
}

// fetchToken asks the token server of challenge ch for a token: by OAuth2
// refresh (POST) with an identity token, else by GET with basic
// credentials and offline_token=true, so that a refresh token comes back.
func fetchToken(ctx context.Context, tr http.RoundTripper, ch *transport.Challenge, ac registrytypes.AuthConfig) (*transport.Token, error) {
	realm, err := url.Parse(ch.Parameters["realm"])
	if err != nil || (realm.Scheme != "https" && !(realm.Scheme == "http" && ch.Insecure)) {
		return nil, fmt.Errorf("invalid token realm %q", ch.Parameters["realm"])
	}
	var req *http.Request
	if ac.IdentityToken != "" {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ac.IdentityToken}, "client_id": {clientID}}
		if s := ch.Parameters["service"]; s != "" {
			form.Set("service", s)
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, realm.String(), strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		q := realm.Query()
		q.Set("client_id", clientID)
		q.Set("offline_token", "true")
		if s := ch.Parameters["service"]; s != "" {
			q.Set("service", s)
		}
		user, password := credentials(ac)
		if user != "" {
			q.Set("account", user)
		}
		realm.RawQuery = q.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, realm.String(), nil)
		if err == nil && (user != "" || password != "") {
			req.SetBasicAuth(user, password)
		}
	}
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := readAtMost(resp.Body, 64<<10)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &tokenError{status: resp.StatusCode, details: tokenDetails(body, resp.Status)}
	}
	var tok transport.Token
	if err := json.Unmarshal(body, &tok); err != nil {
		return nil, fmt.Errorf("reading the token server's answer: %w", err)
	}
	if tok.Token == "" {
		tok.Token = tok.AccessToken
	}
	if tok.Token == "" {
		return nil, errors.New("the token server sent no token")
	}
	return &tok, nil
}

// tokenDetails is the reason a token server gives: its "details" (Docker
// Hub), the first registry error, or the status.
func tokenDetails(body []byte, status string) string {
	var e struct {
		Details string `json:"details"`
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) == nil {
		if e.Details != "" {
			return e.Details
		}
		if len(e.Errors) > 0 && e.Errors[0].Message != "" {
			return e.Errors[0].Message
		}
	}
	return status
}
