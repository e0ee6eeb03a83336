package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
)

// certSet writes a CA, a server certificate for 127.0.0.1 and a client
// certificate into dir, named as the docker CLI expects (ca.pem, cert.pem,
// key.pem for the client; server-cert.pem, server-key.pem).
func certSet(t *testing.T, dir string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "berth-test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER)
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		prefix := ""
		if usage == x509.ExtKeyUsageServerAuth {
			prefix = "server-"
		}
		writePEM(t, filepath.Join(dir, prefix+"cert.pem"), "CERTIFICATE", der)
		writePEM(t, filepath.Join(dir, prefix+"key.pem"), "EC PRIVATE KEY", keyDER)
	}
	leaf("server", 2, x509.ExtKeyUsageServerAuth)
	leaf("client", 3, x509.ExtKeyUsageClientAuth)
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTLSVerifyRequiresClientCert(t *testing.T) {
	certs := t.TempDir()
	certSet(t, certs)
	port := freePort(t)
	host := "tcp://127.0.0.1:" + port
	startDaemon(t, "-H", host, "--tlsverify",
		"--tlscacert", filepath.Join(certs, "ca.pem"),
		"--tlscert", filepath.Join(certs, "server-cert.pem"),
		"--tlskey", filepath.Join(certs, "server-key.pem"))

	tlsEnv := []string{"DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + certs}
	for _, c := range clients {
		bin := "docker"
		if c == "berth" {
			bin = filepath.Join(binDir, "berth")
		}
		r := runCLI(t, bin, host, nil, tlsEnv, "version", "--format", "{{.Server.APIVersion}}")
		if r.Code != 0 || strings.TrimSpace(r.Stdout) == "" {
			t.Errorf("%s with client cert: %s", c, r)
		}
		r = runCLI(t, bin, host, nil, nil, "version", "--format", "{{.Server.APIVersion}}")
		if r.Code == 0 {
			t.Errorf("%s without TLS was served: %s", c, r)
		}
		// Images travel over TLS like over the socket.
		tag := "tls/" + c + ":1"
		archive := fixture.DockerArchive(t, fixture.Options{RepoTags: []string{tag}, Marker: c})
		if r := runCLI(t, bin, host, archive, tlsEnv, "load"); r.Code != 0 || !strings.Contains(r.Stdout, tag) {
			t.Errorf("%s load over TLS: %s", c, r)
		}
		if r := runCLI(t, bin, host, nil, tlsEnv, "images", "--format", "{{.Repository}}:{{.Tag}}", "tls/"+c); strings.TrimSpace(r.Stdout) != tag {
			t.Errorf("%s images over TLS: %s", c, r)
		}
	}

	// A TLS client that trusts the CA but presents no certificate is refused.
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(filepath.Join(certs, "ca.pem"))
	pool.AppendCertsFromPEM(caPEM)
	conn, err := tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{RootCAs: pool})
	if err == nil {
		_, err = conn.Write([]byte("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"))
		if err == nil {
			buf := make([]byte, 64)
			_, err = conn.Read(buf)
		}
		conn.Close()
	}
	if err == nil {
		t.Error("a client without certificate completed a request")
	}
}
