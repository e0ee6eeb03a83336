package registry

import (
	"encoding/base64"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	registrytypes "github.com/moby/moby/api/types/registry"
)

func TestDecodeAuthConfig(t *testing.T) {
	const js = `{"username":"u","password":"p>?","serveraddress":"127.0.0.1:5000","identitytoken":"tok"}`
	want := registrytypes.AuthConfig{Username: "u", Password: "p>?", ServerAddress: "127.0.0.1:5000", IdentityToken: "tok"}
	for name, header := range map[string]string{
		"base64url":          base64.URLEncoding.EncodeToString([]byte(js)),
		"base64url unpadded": base64.RawURLEncoding.EncodeToString([]byte(js)),
		"standard base64":    base64.StdEncoding.EncodeToString([]byte(js)),
	} {
		got, err := DecodeAuthConfig(header)
		if err != nil || got != want {
			t.Errorf("%s: got %+v, %v; want %+v", name, got, err, want)
		}
	}
	if got, err := DecodeAuthConfig(""); err != nil || got != (registrytypes.AuthConfig{}) {
		t.Errorf("empty header: %+v, %v", got, err)
	}
	if got, err := DecodeAuthConfig("e30="); err != nil || hasCredentials(got) { // {}
		t.Errorf("{}: %+v, %v", got, err)
	}
	for _, bad := range []string{"!!!", base64.URLEncoding.EncodeToString([]byte("not json"))} {
		if _, err := DecodeAuthConfig(bad); !errdefs.IsInvalidArgument(err) {
			t.Errorf("%q: want an invalid-argument error, got %v", bad, err)
		}
	}
}

func TestAuthenticator(t *testing.T) {
	tests := []struct {
		name string
		ac   registrytypes.AuthConfig
		want authn.AuthConfig // zero: anonymous
	}{
		{"anonymous", registrytypes.AuthConfig{ServerAddress: "r"}, authn.AuthConfig{}},
		{"password", registrytypes.AuthConfig{Username: "u", Password: "p"}, authn.AuthConfig{Username: "u", Password: "p"}},
		{"auth field", registrytypes.AuthConfig{Auth: base64.StdEncoding.EncodeToString([]byte("u:p:q"))}, authn.AuthConfig{Username: "u", Password: "p:q"}},
		{"identity token", registrytypes.AuthConfig{Username: "u", IdentityToken: "t"}, authn.AuthConfig{Username: "u", IdentityToken: "t"}},
		{"registry token", registrytypes.AuthConfig{RegistryToken: "rt"}, authn.AuthConfig{RegistryToken: "rt"}},
	}
	for _, tc := range tests {
		a := authenticator(tc.ac)
		if tc.want == (authn.AuthConfig{}) {
			if a != authn.Anonymous {
				t.Errorf("%s: want anonymous, got %#v", tc.name, a)
			}
			continue
		}
		got, err := a.Authorization()
		if err != nil || *got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}
