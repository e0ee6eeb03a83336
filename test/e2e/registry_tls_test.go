package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
)

// testCA is a certificate authority made by a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	Path string // the CA certificate, PEM
}

func newTestCA(t *testing.T, dir string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "berth test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, Path: filepath.Join(dir, "ca.pem")}
	writePEM(t, ca.Path, "CERTIFICATE", der)
	return ca
}

// issue writes a certificate signed by the CA, for a server at ip or a
// client, and its key; it returns their paths.
func (ca *testCA) issue(t *testing.T, dir, name string, ip net.IP, usage x509.ExtKeyUsage) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	if ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, name+".cert"), filepath.Join(dir, name+".key")
	writePEM(t, certPath, "CERTIFICATE", der)
	writePEM(t, keyPath, "EC PRIVATE KEY", keyDER)
	return certPath, keyPath
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// outboundIP is this host's address on its default route: a registry
// there is not on 127.0.0.0/8, so it is not insecure by default.
func outboundIP(t testing.TB) net.IP {
	t.Helper()
	c, err := net.Dial("udp4", "203.0.113.1:9") // no packet is sent
	if err != nil {
		t.Skipf("no default route to serve a secure registry on: %v", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP
}

// TestRegistryCertsDir: a registry with a certificate of a private CA that
// requires client certificates is reached with the CA and the client pair
// from <certs.d>/<host:port>/ (ca.crt, client.cert, client.key), read at
// each pull or push.
func TestRegistryCertsDir(t *testing.T) {
	ip := outboundIP(t)
	pki := t.TempDir()
	ca := newTestCA(t, pki)
	serverCert, serverKey := ca.issue(t, pki, "server", ip, x509.ExtKeyUsageServerAuth)
	clientCert, clientKey := ca.issue(t, pki, "client", nil, x509.ExtKeyUsageClientAuth)
	reg := startRegistryWith(t, registryOptions{Addr: freeAddr(t, ip.String()), TLSCert: serverCert, TLSKey: serverKey, ClientCAs: ca.Path})

	certsDir := t.TempDir()
	d := startDaemon(t, "--registry-certs-dir", certsDir)
	loadFixture(t, d, "docker", fixture.Options{RepoTags: []string{"tls-src:1"}, Marker: "tls"})
	ref := reg.Host + "/tls:1"
	must(t, d.docker("tag", "tls-src:1", ref))

	r := d.docker("push", ref)
	if r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "certificate signed by unknown authority") {
		t.Errorf("push without the CA: %s", r)
	}
	hostDir := filepath.Join(certsDir, reg.Host)
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, ca.Path, filepath.Join(hostDir, "ca.crt"))
	r = d.docker("push", ref)
	// The server refuses the handshake; with TLS 1.3 the client learns it
	// at its first read or write, so the wording varies ("remote error:
	// tls: bad certificate", "broken pipe", ...).
	if r.Code != 1 || !strings.Contains(r.Stderr, `Get "https://`+reg.Host+`/v2/": `) || strings.Contains(r.Stderr, "unknown authority") {
		t.Errorf("push without a client certificate: %s", r)
	}
	copyFile(t, clientCert, filepath.Join(hostDir, "client.cert"))
	r = d.docker("push", ref)
	if r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "missing key client.key for client certificate client.cert") {
		t.Errorf("push with a client certificate but no key: %s", r)
	}
	copyFile(t, clientKey, filepath.Join(hostDir, "client.key"))
	pushed := pushedDigest(t, must(t, d.docker("push", ref)), "1")
	must(t, d.docker("rmi", ref, "tls-src:1"))
	if out := must(t, d.docker("pull", ref)); !strings.Contains(out, "Digest: "+pushed.String()) {
		t.Errorf("pull over mutual TLS:\n%s", out)
	}
}
