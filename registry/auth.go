package registry

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// DecodeAuthConfig decodes an X-Registry-Auth header: base64url JSON of
// {username, password, auth, serveraddress, identitytoken, registrytoken}.
// Padding is optional and standard base64 is accepted too, as older
// clients sent it. An empty header means anonymous access.
func DecodeAuthConfig(header string) (registrytypes.AuthConfig, error) {
	var ac registrytypes.AuthConfig
	header = strings.TrimSpace(header)
	if header == "" {
		return ac, nil
	}
	raw, err := decodeBase64(header)
	if err == nil {
		err = json.Unmarshal(raw, &ac)
	}
	if err != nil {
		return registrytypes.AuthConfig{}, errdefs.ErrInvalidArgument.WithMessage("invalid X-Registry-Auth header: " + err.Error())
	}
	return ac, nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "+/") {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// credentials returns the username and password of ac, taking them from
// the "auth" field (base64 of "user:password") when they are not given.
func credentials(ac registrytypes.AuthConfig) (user, password string) {
	if ac.Username != "" || ac.Auth == "" {
		return ac.Username, ac.Password
	}
	raw, err := decodeBase64(ac.Auth)
	if err != nil {
		return "", ""
	}
	user, password, _ = strings.Cut(string(raw), ":")
	return user, password
}

// hasCredentials reports whether ac carries any credentials.
func hasCredentials(ac registrytypes.AuthConfig) bool {
	user, password := credentials(ac)
	return user != "" || password != "" || ac.IdentityToken != "" || ac.RegistryToken != ""
}

// authenticator turns ac into what go-containerregistry's transport uses:
// basic credentials, an identity (refresh) token or a registry bearer token.
func authenticator(ac registrytypes.AuthConfig) authn.Authenticator {
	if !hasCredentials(ac) {
		return authn.Anonymous
	}
	user, password := credentials(ac)
	return authn.FromConfig(authn.AuthConfig{
		Username:      user,
		Password:      password,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	})
}
