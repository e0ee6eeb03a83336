package cli

// Credential helpers: "credHelpers" (per registry) and "credsStore" (the
// default) in docker's config.json name programs docker-credential-<name>
// that keep the credentials instead of config.json. Their protocol is the
// docker-credential-helpers one: the action as argument (get, store,
// erase), the server URL or a JSON record on stdin, JSON on stdout.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	registrytypes "github.com/moby/moby/api/types/registry"
)

// tokenUsername is the username a helper stores with an identity token
// as its secret.
const tokenUsername = "<token>"

// helperCredentials is a credential helper's record.
type helperCredentials struct {
	ServerURL string `json:"ServerURL"`
	Username  string `json:"Username"`
	Secret    string `json:"Secret"`
}

// helperFor is the helper keeping server's credentials: the one credHelpers
// names for its host, else credsStore; "" for config.json itself.
func (f *configFile) helperFor(server string) string {
	var helpers map[string]string
	if raw, ok := f.keys["credHelpers"]; ok {
		_ = json.Unmarshal(raw, &helpers)
	}
	if h, ok := helpers[server]; ok {
		return h
	}
	if h, ok := helpers[hostOf(server)]; ok {
		return h
	}
	var store string
	if raw, ok := f.keys["credsStore"]; ok {
		_ = json.Unmarshal(raw, &store)
	}
	return store
}

// credentialsFor are the stored credentials of server, from its helper or
// from config.json; none is an empty AuthConfig.
func (c *CLI) credentialsFor(server string) (registrytypes.AuthConfig, error) {
	f, err := loadConfigFile(c.configDir())
	if err != nil {
		return registrytypes.AuthConfig{}, err
	}
	helper := f.helperFor(server)
	if helper == "" {
		return f.credentials(server), nil
	}
	out, err := runHelper(helper, "get", server)
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "credentials not found") {
			return registrytypes.AuthConfig{ServerAddress: server}, nil
		}
		return registrytypes.AuthConfig{}, fmt.Errorf("error getting credentials - %w", err)
	}
	var cred helperCredentials
	if err := json.Unmarshal(out, &cred); err != nil {
		return registrytypes.AuthConfig{}, fmt.Errorf("error getting credentials - reading %s's answer: %w", helperProgram(helper), err)
	}
	ac := registrytypes.AuthConfig{ServerAddress: server}
	if cred.Username == tokenUsername {
		ac.IdentityToken = cred.Secret
	} else {
		ac.Username, ac.Password = cred.Username, cred.Secret
	}
	return ac, nil
}

// storeCredentials keeps ac for server in its helper, noting the server
// in config.json's auths as docker does, or in config.json itself. It
// reports whether the password went to config.json (unencrypted).
func storeCredentials(f *configFile, server string, ac registrytypes.AuthConfig) (plain bool, err error) {
	helper := f.helperFor(server)
	if helper == "" {
		f.store(server, ac)
		return true, f.save()
	}
	cred := helperCredentials{ServerURL: server, Username: ac.Username, Secret: ac.Password}
	if ac.IdentityToken != "" {
		cred.Username, cred.Secret = tokenUsername, ac.IdentityToken
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return false, err
	}
	if _, err := runHelper(helper, "store", string(raw)); err != nil {
		return false, fmt.Errorf("error storing credentials - %w", err)
	}
	if key, ok := f.find(server); ok {
		delete(f.auths, key)
	}
	f.auths[server] = authEntry{}
	return false, f.save()
}

// eraseCredentials forgets server's credentials in its helper and in
// config.json; it reports whether any were known.
func eraseCredentials(f *configFile, server string) (bool, error) {
	key, found := f.find(server)
	if found {
		delete(f.auths, key)
	} else {
		key = server
	}
	if helper := f.helperFor(key); helper != "" {
		if _, err := runHelper(helper, "erase", key); err == nil {
			found = true
		} else if !strings.Contains(strings.ToLower(err.Error()), "credentials not found") {
			return found, fmt.Errorf("error erasing credentials - %w", err)
		}
	}
	if !found {
		return false, nil
	}
	return true, f.save()
}

func helperProgram(name string) string { return "docker-credential-" + name }

// runHelper runs a helper's action with input on its stdin and returns
// its output; a failure carries what the helper printed.
func runHelper(name, action, input string) ([]byte, error) {
	cmd := exec.Command(helperProgram(name), action)
	cmd.Stdin = strings.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	out := strings.TrimSpace(stdout.String() + stderr.String())
	var notFound *exec.Error
	if errors.As(err, &notFound) {
		return nil, fmt.Errorf("exec: %q: executable file not found in $PATH, out: ``", helperProgram(name))
	}
	return nil, fmt.Errorf("err: %v, out: `%s`", err, out)
}
