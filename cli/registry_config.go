package cli

// Registry credentials in docker's config file ($DOCKER_CONFIG/config.json,
// else ~/.docker/config.json), read and written the way the docker CLI does
// so that both CLIs share logins.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// dockerHubServer is the key of Docker Hub's credentials.
const dockerHubServer = "https://index.docker.io/v1/"

// configFile is docker's config.json: the "auths" entries berth uses, and
// every other key kept as it was.
type configFile struct {
	path  string
	keys  map[string]json.RawMessage
	auths map[string]authEntry
}

// authEntry is one registry's credentials: base64 of "user:password", or
// an identity token.
type authEntry struct {
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
}

// configDir is docker's configuration directory.
func (c *CLI) configDir() string {
	if dir := c.getenv("DOCKER_CONFIG"); dir != "" {
		return dir
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/root"
	}
	return filepath.Join(home, ".docker")
}

func loadConfigFile(dir string) (*configFile, error) {
	f := &configFile{path: filepath.Join(dir, "config.json"), keys: map[string]json.RawMessage{}, auths: map[string]authEntry{}}
	raw, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return f, nil
	}
	if err := json.Unmarshal(raw, &f.keys); err != nil {
		return nil, errors.New("loading config file: " + f.path + ": " + err.Error())
	}
	if a, ok := f.keys["auths"]; ok {
		if err := json.Unmarshal(a, &f.auths); err != nil {
			return nil, errors.New("loading config file: " + f.path + ": " + err.Error())
		}
	}
	return f, nil
}

// save writes the file atomically, readable by its owner only.
func (f *configFile) save() error {
	auths, err := json.Marshal(f.auths)
	if err != nil {
		return err
	}
	f.keys["auths"] = auths
	raw, err := json.MarshalIndent(f.keys, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".config.json-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.path)
}

// find returns the key of server's entry: the key itself, or one naming
// the same host with a scheme or path ("https://host/v1/").
func (f *configFile) find(server string) (string, bool) {
	if _, ok := f.auths[server]; ok {
		return server, true
	}
	host := hostOf(server)
	for key := range f.auths {
		if hostOf(key) == host {
			return key, true
		}
	}
	return "", false
}

// credentials are the stored credentials for server, with its address.
func (f *configFile) credentials(server string) registrytypes.AuthConfig {
	key, ok := f.find(server)
	if !ok {
		return registrytypes.AuthConfig{}
	}
	e := f.auths[key]
	ac := registrytypes.AuthConfig{ServerAddress: server, IdentityToken: e.IdentityToken}
	if raw, err := base64.StdEncoding.DecodeString(e.Auth); err == nil {
		ac.Username, ac.Password, _ = strings.Cut(string(raw), ":")
	}
	return ac
}

func (f *configFile) store(server string, ac registrytypes.AuthConfig) {
	if key, ok := f.find(server); ok {
		delete(f.auths, key)
	}
	e := authEntry{IdentityToken: ac.IdentityToken}
	if ac.IdentityToken == "" {
		e.Auth = base64.StdEncoding.EncodeToString([]byte(ac.Username + ":" + ac.Password))
	} else {
		e.Auth = base64.StdEncoding.EncodeToString([]byte(ac.Username + ":"))
	}
	f.auths[server] = e
}

// hostOf is the host[:port] of a server address, as the docker CLI reads
// the keys of "auths".
func hostOf(server string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	return s
}

// serverOf is the key of the credentials for a reference's registry.
func serverOf(named reference.Named) string {
	if d := reference.Domain(named); d != "docker.io" {
		return d
	}
	return dockerHubServer
}

// registryAuth is the X-Registry-Auth value for pulling or pushing named:
// the stored credentials of its registry, base64url JSON.
func (c *CLI) registryAuth(named reference.Named) (string, error) {
	ac, err := c.credentialsFor(serverOf(named))
	if err != nil {
		return "", err
	}
	return encodeAuth(ac)
}

func encodeAuth(ac registrytypes.AuthConfig) (string, error) {
	raw, err := json.Marshal(ac)
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(raw), nil
}
