package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distribution/reference"
)

func TestParseMirror(t *testing.T) {
	for _, ok := range []string{"https://mirror.example", "http://127.0.0.1:5000/", "https://m.example:8443"} {
		if _, err := parseMirror(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"mirror.example":               "is not a valid URI",
		"ftp://mirror.example":         `unsupported scheme "ftp"`,
		"https://mirror.example/path":  "path, query",
		"https://u:p@mirror.example":   "credentials",
		"https://mirror.example/?q=1":  "path, query",
		"https://mirror.example/#frag": "path, query",
	} {
		if _, err := parseMirror(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", bad, err, want)
		}
	}
	c, err := NewClient(Options{Mirrors: []string{"https://a.example", "http://b.example:5000"}})
	if err != nil {
		t.Fatal(err)
	}
	hub, _ := reference.ParseNormalizedNamed("busybox")
	other, _ := reference.ParseNormalizedNamed("quay.io/x/y")
	if got := c.Mirrors(hub); len(got) != 2 || got[0] != "https://a.example" {
		t.Errorf("mirrors of a Docker Hub image: %v", got)
	}
	if got := c.Mirrors(other); len(got) != 0 {
		t.Errorf("mirrors of another registry's image: %v", got)
	}
}

func TestSplitSearchTerm(t *testing.T) {
	for term, want := range map[string][2]string{
		"busybox":                 {"index.docker.io", "busybox"},
		"library/busybox":         {"index.docker.io", "busybox"},
		"docker.io/library/redis": {"index.docker.io", "redis"},
		"user/app":                {"index.docker.io", "user/app"},
		"127.0.0.1:5000/app":      {"127.0.0.1:5000", "app"},
		"localhost/a/b":           {"localhost", "a/b"},
		"reg.example/app":         {"reg.example", "app"},
	} {
		if host, query := splitSearchTerm(term); host != want[0] || query != want[1] {
			t.Errorf("%q: %q %q, want %q", term, host, query, want)
		}
	}
}

func TestCertsDirErrors(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "reg.example:5000")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Options{CertsDirs: []string{filepath.Join(root, "absent"), root}})
	if err != nil {
		t.Fatal(err)
	}
	if tr, err := c.certsTransport("other.example", c.secure); err != nil || tr != c.secure {
		t.Errorf("a host without files: %v %v", tr, err)
	}
	for name, want := range map[string]string{
		"client.cert": "missing key client.key for client certificate client.cert",
		"client.key":  "missing client certificate client.cert for key client.key",
		"ca.crt":      "no certificate found in",
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("not pem"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := c.certsTransport("reg.example:5000", c.secure); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s alone: err %v, want %q", name, err, want)
		}
		os.Remove(path)
	}
	if _, err := c.certsTransport("../reg.example:5000", c.secure); err != nil {
		t.Errorf("a host with a path: %v", err)
	}
}
