package e2e

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
)

// tokenServer is a Docker token-auth server (docker/distribution's token
// spec) for a test registry: it signs JWTs with a key whose certificate
// the registry trusts. User alice (password "wonderland") may pull
// anything and push to team/*; anonymous callers get no access. With
// offline_token=true it issues a refresh token (Docker's identity token),
// which the OAuth2 POST flow exchanges for access tokens.
type tokenServer struct {
	Realm, Service, Issuer, CertPath string

	key  *rsa.PrivateKey
	cert []byte // DER

	mu       sync.Mutex
	refresh  map[string]string // refresh token -> user
	refreshN int               // refresh-token grants served
}

const tokenUser, tokenPassword = "alice", "wonderland"

func startTokenServer(t *testing.T) *tokenServer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "berth token signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ts := &tokenServer{Service: "berth-registry", Issuer: "berth-test-issuer", key: key, cert: der, refresh: map[string]string{},
		CertPath: filepath.Join(t.TempDir(), "token-signer.pem")}
	if err := os.WriteFile(ts.CertPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// "localhost": clients refuse realms at private IP literals other than
	// the registry's own.
	ts.Realm = fmt.Sprintf("http://localhost:%d/token", l.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: http.HandlerFunc(ts.serve)}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return ts
}

// registryConfig is the auth section of a registry using this server.
func (ts *tokenServer) registryConfig() string {
	return fmt.Sprintf("auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n", ts.Realm, ts.Service, ts.Issuer, ts.CertPath)
}

func (ts *tokenServer) RefreshGrants() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.refreshN
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	user, refresh := "", ""
	switch {
	case r.Method == http.MethodPost && r.PostForm.Get("grant_type") == "refresh_token":
		ts.mu.Lock()
		user = ts.refresh[r.PostForm.Get("refresh_token")]
		ts.refreshN++
		ts.mu.Unlock()
		if user == "" {
			ts.deny(w)
			return
		}
		refresh = r.PostForm.Get("refresh_token")
	case r.Method == http.MethodPost && r.PostForm.Get("grant_type") == "password":
		if r.PostForm.Get("username") != tokenUser || r.PostForm.Get("password") != tokenPassword {
			ts.deny(w)
			return
		}
		user = tokenUser
	case r.Method == http.MethodGet:
		if u, p, ok := r.BasicAuth(); ok {
			if u != tokenUser || p != tokenPassword {
				ts.deny(w)
				return
			}
			user = u
			if r.Form.Get("offline_token") == "true" {
				refresh = ts.newRefreshToken(user)
			}
		}
	default:
		http.Error(w, "unsupported grant", http.StatusBadRequest)
		return
	}
	token := ts.sign(user, r.Form["scope"])
	resp := map[string]any{"token": token, "access_token": token, "expires_in": 300, "issued_at": time.Now().UTC().Format(time.RFC3339)}
	if refresh != "" {
		resp["refresh_token"] = refresh
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (ts *tokenServer) deny(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(`{"details":"incorrect username or password"}`))
}

func (ts *tokenServer) newRefreshToken(user string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.refresh[tok] = user
	return tok
}

// sign issues a JWT granting user what the policy allows of scopes
// ("repository:name:pull,push").
func (ts *tokenServer) sign(user string, scopes []string) string {
	type access struct {
		Type    string   `json:"type"`
		Name    string   `json:"name"`
		Actions []string `json:"actions"`
	}
	granted := []access{}
	for _, s := range strings.Fields(strings.Join(scopes, " ")) {
		parts := strings.Split(s, ":")
		if len(parts) != 3 || parts[0] != "repository" || user == "" {
			continue
		}
		var actions []string
		for _, a := range strings.Split(parts[2], ",") {
			if a == "pull" || (a == "push" && strings.HasPrefix(parts[1], "team/")) {
				actions = append(actions, a)
			}
		}
		granted = append(granted, access{"repository", parts[1], actions})
	}
	now := time.Now()
	header, _ := json.Marshal(map[string]any{"typ": "JWT", "alg": "RS256", "x5c": []string{base64.StdEncoding.EncodeToString(ts.cert)}})
	claims, _ := json.Marshal(map[string]any{"iss": ts.Issuer, "sub": user, "aud": ts.Service, "exp": now.Add(5 * time.Minute).Unix(),
		"nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(), "jti": ts.newRefreshToken(""), "access": granted})
	enc := base64.RawURLEncoding
	payload := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(payload))
	sig, err := rsa.SignPKCS1v15(rand.Reader, ts.key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return payload + "." + enc.EncodeToString(sig)
}

// TestRegistryTokenAuth drives the bearer-token flow against
// docker-registry with token auth: login returns an identity token that
// the docker CLI stores instead of the password, and pulls and pushes use
// it (OAuth2 refresh grants); anonymous pulls and pushes outside the
// user's rights are refused with Docker's words.
func TestRegistryTokenAuth(t *testing.T) {
	ts := startTokenServer(t)
	reg := startRegistryWith(t, registryOptions{Extra: ts.registryConfig()})
	d := startDaemon(t)
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"token-src:1"}, Marker: "token"})
	ref := reg.Host + "/team/app:1"
	must(t, d.docker("tag", "token-src:1", ref))
	cfgDir := t.TempDir()
	docker := func(stdin string, args ...string) result {
		return runCLI(t, "docker", d.Host, []byte(stdin), []string{"DOCKER_CONFIG=" + cfgDir}, args...)
	}

	r := docker("wrong\n", "login", reg.Host, "-u", tokenUser, "--password-stdin")
	want := `Get "http://` + reg.Host + `/v2/": unauthorized: incorrect username or password`
	if r.Code != 1 || !strings.Contains(r.Stderr, want) {
		t.Errorf("login with a wrong password: want %q, got %s", want, r)
	}
	if status, body := d.apiPost(t, "/v1.47/auth", fmt.Sprintf(`{"username":%q,"password":"nope","serveraddress":%q}`, tokenUser, reg.Host)); status != 401 {
		t.Errorf("POST /auth with a wrong password: %d %s", status, body)
	}
	r = docker(tokenPassword+"\n", "login", reg.Host, "-u", tokenUser, "--password-stdin")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Login Succeeded") {
		t.Fatalf("login: %s", r)
	}
	cfg, _ := os.ReadFile(filepath.Join(cfgDir, "config.json"))
	if !strings.Contains(string(cfg), `"identitytoken"`) || strings.Contains(string(cfg), base64.StdEncoding.EncodeToString([]byte(tokenUser+":"+tokenPassword))) {
		t.Errorf("config.json after login keeps the password or lacks the identity token:\n%s", cfg)
	}

	var stored struct {
		Auths map[string]struct{ IdentityToken string } `json:"auths"`
	}
	_ = json.Unmarshal(cfg, &stored)
	token := stored.Auths[reg.Host].IdentityToken
	grants := ts.RefreshGrants()
	if status, body := d.apiPost(t, "/v1.47/auth", fmt.Sprintf(`{"identitytoken":%q,"serveraddress":%q}`, token, reg.Host)); status != 200 || !strings.Contains(body, "Login Succeeded") || ts.RefreshGrants() != grants+1 {
		t.Errorf("POST /auth with the identity token: %d %s (refresh grants %d -> %d)", status, body, grants, ts.RefreshGrants())
	}
	if status, _ := d.apiPost(t, "/v1.47/auth", fmt.Sprintf(`{"identitytoken":"forged","serveraddress":%q}`, reg.Host)); status != 401 {
		t.Errorf("POST /auth with a forged identity token: %d", status)
	}

	grants = ts.RefreshGrants()
	pushed := pushedDigest(t, must(t, docker("", "push", ref)), "1")
	if ts.RefreshGrants() == grants {
		t.Error("the push did not use the identity token")
	}
	must(t, d.docker("rmi", ref))
	r = d.docker("pull", ref) // anonymous
	if r.Code != 1 || !strings.Contains(r.Stderr, "pull access denied for "+reg.Host+"/team/app") {
		t.Errorf("anonymous pull: %s", r)
	}
	if out := must(t, docker("", "pull", ref)); !strings.Contains(out, "Digest: "+pushed.String()) {
		t.Errorf("pull with the identity token:\n%s", out)
	}
	must(t, d.docker("tag", ref, reg.Host+"/other/app:1"))
	r = docker("", "push", reg.Host+"/other/app:1")
	if r.Code != 1 || strings.TrimSpace(r.Stderr) != "unauthorized: authentication required" { // dockerd's words for distribution's refusal
		t.Errorf("push without push rights: %s", r)
	}
}

// credentialHelper writes docker-credential-<name>, a helper keeping
// credentials as files in a directory, and returns the directory to put
// on PATH and the store directory.
func credentialHelper(t *testing.T, name string) (binDir, store string) {
	t.Helper()
	binDir, store = t.TempDir(), t.TempDir()
	script := `#!/bin/sh
store=` + store + `
key() { printf '%s' "$1" | sha256sum | cut -c1-16; }
case "$1" in
get)   url=$(cat); f="$store/$(key "$url")"
       if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
store) json=$(cat); url=$(printf '%s' "$json" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')
       printf '%s' "$json" > "$store/$(key "$url")" ;;
erase) url=$(cat); f="$store/$(key "$url")"
       if [ -f "$f" ]; then rm "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
list)  echo '{}' ;;
*)     echo "unknown action $1" >&2; exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(binDir, "docker-credential-"+name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return binDir, store
}

// TestRegistryCredentialHelper: with "credsStore" in config.json, berth
// login keeps the credentials (the identity token of a token registry)
// in the helper and only the server's name in config.json, as docker
// does; pull and push get them from the helper, docker reads what berth
// stored, and logout erases them.
func TestRegistryCredentialHelper(t *testing.T) {
	ts := startTokenServer(t)
	reg := startRegistryWith(t, registryOptions{Extra: ts.registryConfig()})
	d := startDaemon(t)
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"helper-src:1"}, Marker: "helper"})
	ref := reg.Host + "/team/helper:1"
	must(t, d.docker("tag", "helper-src:1", ref))

	helperDir, store := credentialHelper(t, "berthtest")
	cfgDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(`{"credsStore":"berthtest","psFormat":"kept"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"DOCKER_CONFIG=" + cfgDir, "PATH=" + helperDir + ":" + os.Getenv("PATH")}
	berth := func(stdin string, args ...string) result {
		return runCLI(t, filepath.Join(binDir, "berth"), d.Host, []byte(stdin), env, args...)
	}

	r := berth(tokenPassword+"\n", "login", reg.Host, "-u", tokenUser, "--password-stdin")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "Login Succeeded" || strings.Contains(r.Stderr, "unencrypted") {
		t.Fatalf("berth login with a helper: %s", r)
	}
	var cfg struct {
		Auths      map[string]map[string]any `json:"auths"`
		CredsStore string                    `json:"credsStore"`
		PsFormat   string                    `json:"psFormat"`
	}
	raw, _ := os.ReadFile(filepath.Join(cfgDir, "config.json"))
	if err := json.Unmarshal(raw, &cfg); err != nil || len(cfg.Auths[reg.Host]) != 0 || cfg.Auths[reg.Host] == nil || cfg.CredsStore != "berthtest" || cfg.PsFormat != "kept" {
		t.Errorf("config.json after login with a helper: %s (%v)", raw, err)
	}
	stored, _ := os.ReadDir(store)
	if len(stored) != 1 {
		t.Fatalf("helper holds %d records, want 1", len(stored))
	}
	rec, _ := os.ReadFile(filepath.Join(store, stored[0].Name()))
	var cred struct{ ServerURL, Username, Secret string }
	if err := json.Unmarshal(rec, &cred); err != nil || cred.Username != "<token>" || cred.ServerURL != reg.Host || cred.Secret == "" {
		t.Errorf("helper record: %s (%v)", rec, err)
	}

	pushed := pushedDigest(t, must(t, berth("", "push", ref)), "1")
	must(t, d.docker("rmi", ref))
	if out := must(t, runCLI(t, "docker", d.Host, nil, env, "pull", ref)); !strings.Contains(out, "Digest: "+pushed.String()) {
		t.Errorf("docker pull with berth's helper record:\n%s", out)
	}
	must(t, d.docker("rmi", ref))
	if out := must(t, berth("", "pull", ref)); !strings.Contains(out, "Digest: "+pushed.String()) {
		t.Errorf("berth pull with the helper:\n%s", out)
	}
	if out := must(t, berth("", "logout", reg.Host)); !strings.Contains(out, "Removing login credentials for "+reg.Host) {
		t.Errorf("berth logout: %q", out)
	}
	if stored, _ := os.ReadDir(store); len(stored) != 0 {
		t.Errorf("helper still holds %d records after logout", len(stored))
	}
	if out := must(t, berth("", "logout", reg.Host)); !strings.Contains(out, "Not logged in to "+reg.Host) {
		t.Errorf("second logout: %q", out)
	}
	r = berth("", "pull", ref)
	if r.Code != 1 || !strings.Contains(r.Stderr, "pull access denied") {
		t.Errorf("pull after logout: %s", r)
	}

	// credHelpers names a helper per registry; a helper that is missing is
	// an error, as in docker.
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(`{"credHelpers":{"`+reg.Host+`":"absent"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r = berth("", "pull", ref)
	if r.Code == 0 || !strings.Contains(r.Stderr, "docker-credential-absent") {
		t.Errorf("pull with a missing helper: %s", r)
	}
}
