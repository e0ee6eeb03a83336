package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
)

// Per-registry TLS material, as Docker reads it from
// /etc/docker/certs.d/<host[:port]>/: every *.crt is a CA trusted in
// addition to the system's, every *.cert/*.key pair a client certificate.
// The directories are read at each use, so a certificate added while the
// daemon runs is used by the next pull; transports are reused while the
// files stay the same.

// certsTransport returns the transport for host: base itself when no
// certs directory has files for host, else a clone of base with the CAs
// and client certificates found (and base's InsecureSkipVerify).
func (c *Client) certsTransport(host string, base *http.Transport) (http.RoundTripper, error) {
	files, stamp, err := c.certFiles(host)
	if err != nil || len(files) == 0 {
		return base, err
	}
	insecure := base.TLSClientConfig != nil && base.TLSClientConfig.InsecureSkipVerify
	key := fmt.Sprintf("%s|%v|%s", host, insecure, stamp)
	c.certsMu.Lock()
	defer c.certsMu.Unlock()
	if tr, ok := c.certsCache[key]; ok {
		return tr, nil
	}
	cfg, err := tlsConfigFrom(files)
	if err != nil {
		return nil, err
	}
	cfg.InsecureSkipVerify = insecure
	tr := base.Clone()
	tr.TLSClientConfig = cfg
	c.certsCache[key] = tr
	return tr, nil
}

// certFiles lists the TLS files of host in the certs directories (the
// first directory that has host's wins), with a stamp of their sizes and
// times that changes when they do.
func (c *Client) certFiles(host string) ([]string, string, error) {
	if host == "" || strings.ContainsAny(host, `/\`) || host == "." || host == ".." {
		return nil, "", nil
	}
	for _, root := range c.certsDirs {
		dir := filepath.Join(root, host)
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		var files []string
		var stamp strings.Builder
		for _, e := range entries {
			ext := filepath.Ext(e.Name())
			if ext != ".crt" && ext != ".cert" && ext != ".key" {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return nil, "", err
			}
			files = append(files, filepath.Join(dir, e.Name()))
			fmt.Fprintf(&stamp, "%s:%d:%d;", e.Name(), info.Size(), info.ModTime().UnixNano())
		}
		if len(files) > 0 {
			return files, stamp.String(), nil
		}
	}
	return nil, "", nil
}

// tlsConfigFrom reads CA certificates (*.crt) and client key pairs
// (*.cert with its *.key), with Docker's errors for a lone half of a pair.
func tlsConfigFrom(files []string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	have := map[string]bool{}
	for _, f := range files {
		have[f] = true
	}
	for _, f := range files {
		switch filepath.Ext(f) {
		case ".crt":
			if cfg.RootCAs == nil {
				pool, err := x509.SystemCertPool()
				if err != nil {
					pool = x509.NewCertPool()
				}
				cfg.RootCAs = pool
			}
			pem, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("no certificate found in %s", f)
			}
		case ".cert":
			keyFile := strings.TrimSuffix(f, ".cert") + ".key"
			if !have[keyFile] {
				return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("missing key %s for client certificate %s. CA certificates must use the extension .crt", filepath.Base(keyFile), filepath.Base(f)))
			}
			pair, err := tls.LoadX509KeyPair(f, keyFile)
			if err != nil {
				return nil, err
			}
			cfg.Certificates = append(cfg.Certificates, pair)
		case ".key":
			if !have[strings.TrimSuffix(f, ".key")+".cert"] {
				return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("missing client certificate %s for key %s", filepath.Base(strings.TrimSuffix(f, ".key")+".cert"), filepath.Base(f)))
			}
		}
	}
	return cfg, nil
}
