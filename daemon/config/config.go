// Package config is berthd's configuration: command-line flags with dockerd's
// names, and the daemon.json file with dockerd's keys. A setting given both
// ways is an error, as with dockerd.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// Defaults of the paths and the socket.
const (
	DefaultDataRoot   = "/var/lib/berth"
	DefaultExecRoot   = "/run/berth"
	DefaultHost       = "unix:///run/berth.sock"
	DefaultConfigFile = "/etc/berth/daemon.json"
	DefaultRuntime    = "runc"

	DefaultMaxConcurrentDownloads = 3
	DefaultMaxConcurrentUploads   = 5
	DefaultMaxDownloadAttempts    = 5
)

// DefaultRegistryCertsDirs are searched for per-registry TLS material:
// Berth's own, then Docker's, so certificates set up for dockerd work.
var DefaultRegistryCertsDirs = []string{"/etc/berth/certs.d", "/etc/docker/certs.d"}

// Runtime is an OCI runtime the daemon can run containers with.
type Runtime struct {
	Path string   `json:"path"`
	Args []string `json:"runtimeArgs,omitempty"`
}

// Config is the daemon's whole configuration. JSON names are daemon.json keys.
type Config struct {
	Hosts              []string           `json:"hosts,omitempty"`
	DataRoot           string             `json:"data-root,omitempty"`
	ExecRoot           string             `json:"exec-root,omitempty"`
	Pidfile            string             `json:"pidfile,omitempty"`
	LogLevel           string             `json:"log-level,omitempty"`
	Debug              bool               `json:"debug,omitempty"`
	Group              string             `json:"group,omitempty"`
	Labels             []string           `json:"labels,omitempty"`
	DefaultRuntime     string             `json:"default-runtime,omitempty"`
	Runtimes           map[string]Runtime `json:"runtimes,omitempty"`
	Bridge             string             `json:"bridge,omitempty"`
	BIP                string             `json:"bip,omitempty"`
	IPTables           bool               `json:"iptables"`
	InsecureRegistries []string           `json:"insecure-registries,omitempty"`
	RegistryMirrors    []string           `json:"registry-mirrors,omitempty"`
	LiveRestore        bool               `json:"live-restore"`
	InitPath           string             `json:"init-path,omitempty"`
	TLS                *bool              `json:"tls,omitempty"` // nil: not said either way
	TLSVerify          bool               `json:"tlsverify,omitempty"`
	TLSCACert          string             `json:"tlscacert,omitempty"`
	TLSCert            string             `json:"tlscert,omitempty"`
	TLSKey             string             `json:"tlskey,omitempty"`

	// MaxConcurrentDownloads and MaxConcurrentUploads bound the layers one
	// pull or push transfers at a time; 0 is the default (3 and 5).
	MaxConcurrentDownloads int `json:"max-concurrent-downloads,omitempty"`
	MaxConcurrentUploads   int `json:"max-concurrent-uploads,omitempty"`
	// MaxDownloadAttempts is how many times a layer download is tried
	// (resuming where it broke); 0 is the default, 5.
	MaxDownloadAttempts int `json:"max-download-attempts,omitempty"`
	// AllowNondistributableArtifacts are the registries (CIDRs or
	// host[:port]) that non-distributable (foreign) layers are pushed to.
	AllowNondistributableArtifacts []string `json:"allow-nondistributable-artifacts,omitempty"`
	// RegistryCertsDirs hold per-registry TLS material (<dir>/<host>/ca.crt,
	// client.cert, client.key); a flag only, for tests and odd layouts.
	RegistryCertsDirs []string `json:"-"`

	// ConfigFile is where daemon.json was read from (a flag only).
	ConfigFile string `json:"-"`
}

// Flags registers berthd's flags on fs, bound to c, with their defaults.
// addRuntimes collects --add-runtime NAME=PATH values for Finish.
func (c *Config) Flags(fs *pflag.FlagSet, addRuntimes *[]string) {
	fs.StringArrayVarP(&c.Hosts, "host", "H", nil, "Daemon socket(s) to listen on (unix://, tcp://, fd://)")
	fs.StringVar(&c.DataRoot, "data-root", DefaultDataRoot, "Root directory of persistent state")
	fs.StringVar(&c.ExecRoot, "exec-root", DefaultExecRoot, "Root directory of execution state")
	fs.StringVarP(&c.Pidfile, "pidfile", "p", "", "Path to the daemon PID file (default <exec-root>/berthd.pid)")
	fs.StringVar(&c.ConfigFile, "config-file", DefaultConfigFile, "Daemon configuration file")
	fs.StringVarP(&c.LogLevel, "log-level", "l", "info", `Logging level ("debug"|"info"|"warn"|"error")`)
	fs.BoolVarP(&c.Debug, "debug", "D", false, "Enable debug mode")
	fs.StringVarP(&c.Group, "group", "G", "berth", "Group for the unix socket")
	fs.StringArrayVar(&c.Labels, "label", nil, "Set key=value labels to the daemon")
	fs.StringVar(&c.DefaultRuntime, "default-runtime", DefaultRuntime, "Default OCI runtime for containers")
	fs.StringArrayVar(addRuntimes, "add-runtime", nil, "Register an additional OCI runtime (NAME=PATH)")
	fs.StringVarP(&c.Bridge, "bridge", "b", "", "Attach containers to a network bridge")
	fs.StringVar(&c.BIP, "bip", "", "Network bridge IP")
	fs.BoolVar(&c.IPTables, "iptables", true, "Enable addition of packet filter rules")
	fs.StringArrayVar(&c.InsecureRegistries, "insecure-registry", nil, "Enable insecure registry communication")
	fs.StringArrayVar(&c.RegistryMirrors, "registry-mirror", nil, "Preferred registry mirror")
	fs.IntVar(&c.MaxConcurrentDownloads, "max-concurrent-downloads", DefaultMaxConcurrentDownloads, "Set the max concurrent downloads")
	fs.IntVar(&c.MaxConcurrentUploads, "max-concurrent-uploads", DefaultMaxConcurrentUploads, "Set the max concurrent uploads")
	fs.IntVar(&c.MaxDownloadAttempts, "max-download-attempts", DefaultMaxDownloadAttempts, "Set the max download attempts for each pull")
	fs.StringArrayVar(&c.AllowNondistributableArtifacts, "allow-nondistributable-artifacts", nil, "Allow push of nondistributable artifacts to registry")
	fs.StringArrayVar(&c.RegistryCertsDirs, "registry-certs-dir", DefaultRegistryCertsDirs, "Directory of per-registry TLS certificates (<dir>/<host>/ca.crt, client.cert, client.key)")
	fs.BoolVar(&c.LiveRestore, "live-restore", true, "Keep containers running while the daemon is down")
	fs.StringVar(&c.InitPath, "init-path", "", "Path to the init binary for --init (default: tini-static, then tini, from PATH)")
	fs.Bool("tls", false, "Use TLS; implied by --tlsverify. --tls=false allows plain TCP on non-loopback addresses")
	fs.BoolVar(&c.TLSVerify, "tlsverify", false, "Use TLS and verify the remote (client certificates required)")
	fs.StringVar(&c.TLSCACert, "tlscacert", "", "Trust certs signed only by this CA")
	fs.StringVar(&c.TLSCert, "tlscert", "", "Path to TLS certificate file")
	fs.StringVar(&c.TLSKey, "tlskey", "", "Path to TLS key file")
}

// flagKeys maps flag names to the daemon.json keys they set.
var flagKeys = map[string]string{
	"host": "hosts", "data-root": "data-root", "exec-root": "exec-root", "pidfile": "pidfile",
	"log-level": "log-level", "debug": "debug", "group": "group", "label": "labels",
	"default-runtime": "default-runtime", "add-runtime": "runtimes", "bridge": "bridge", "bip": "bip",
	"iptables": "iptables", "insecure-registry": "insecure-registries", "registry-mirror": "registry-mirrors",
	"live-restore": "live-restore", "init-path": "init-path", "tls": "tls", "tlsverify": "tlsverify", "tlscacert": "tlscacert",
	"tlscert": "tlscert", "tlskey": "tlskey",
	"max-concurrent-downloads": "max-concurrent-downloads", "max-concurrent-uploads": "max-concurrent-uploads", "allow-nondistributable-artifacts": "allow-nondistributable-artifacts",
	"max-download-attempts": "max-download-attempts",
}

// Finish merges the config file into c (after fs was parsed), applies
// --add-runtime values and fills derived defaults. A missing file at the
// default path is fine; a missing file given explicitly is an error.
func (c *Config) Finish(fs *pflag.FlagSet, addRuntimes []string) error {
	if fs.Changed("tls") {
		v, _ := fs.GetBool("tls")
		c.TLS = &v
	}
	if err := c.mergeFile(fs); err != nil {
		return err
	}
	if c.Runtimes == nil {
		c.Runtimes = map[string]Runtime{}
	}
	for _, spec := range addRuntimes {
		name, path, ok := strings.Cut(spec, "=")
		if !ok || name == "" || path == "" {
			return fmt.Errorf("invalid --add-runtime %q: want NAME=PATH", spec)
		}
		c.Runtimes[name] = Runtime{Path: path}
	}
	for _, name := range []string{"runc", "crun"} {
		if _, ok := c.Runtimes[name]; !ok {
			c.Runtimes[name] = Runtime{Path: name}
		}
	}
	if _, ok := c.Runtimes[c.DefaultRuntime]; !ok {
		return fmt.Errorf("default runtime %q is not a known runtime", c.DefaultRuntime)
	}
	if c.MaxConcurrentDownloads < 0 {
		return fmt.Errorf("invalid max concurrent downloads: %d", c.MaxConcurrentDownloads)
	}
	if c.MaxConcurrentUploads < 0 {
		return fmt.Errorf("invalid max concurrent uploads: %d", c.MaxConcurrentUploads)
	}
	if c.MaxDownloadAttempts < 0 {
		return fmt.Errorf("invalid max download attempts: %d", c.MaxDownloadAttempts)
	}
	if c.MaxDownloadAttempts == 0 {
		c.MaxDownloadAttempts = DefaultMaxDownloadAttempts
	}
	if c.MaxConcurrentDownloads == 0 {
		c.MaxConcurrentDownloads = DefaultMaxConcurrentDownloads
	}
	if c.MaxConcurrentUploads == 0 {
		c.MaxConcurrentUploads = DefaultMaxConcurrentUploads
	}
	if len(c.Hosts) == 0 {
		c.Hosts = []string{DefaultHost}
	}
	if c.Pidfile == "" {
		c.Pidfile = c.ExecRoot + "/berthd.pid"
	}
	if c.Debug {
		c.LogLevel = "debug"
	}
	return nil
}

// UseTLS reports whether TCP listeners serve TLS.
func (c *Config) UseTLS() bool { return c.TLSVerify || (c.TLS != nil && *c.TLS) }

// PlainTCPAllowed reports whether the user explicitly opted out of TLS
// (--tls=false), which allows plain TCP on non-loopback addresses.
func (c *Config) PlainTCPAllowed() bool { return c.TLS != nil && !*c.TLS && !c.TLSVerify }

func (c *Config) mergeFile(fs *pflag.FlagSet) error {
	data, err := os.ReadFile(c.ConfigFile)
	if errors.Is(err, os.ErrNotExist) && !fs.Changed("config-file") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unable to configure the daemon with file %s: %w", c.ConfigFile, err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return fmt.Errorf("unable to configure the daemon with file %s: %w", c.ConfigFile, err)
	}
	var conflicts []string
	fs.Visit(func(f *pflag.Flag) {
		if key, ok := flagKeys[f.Name]; ok {
			if _, inFile := keys[key]; inFile {
				conflicts = append(conflicts, fmt.Sprintf("%s: (from flag: %s, from file: %s)", key, f.Value, keys[key]))
			}
		}
	})
	if len(conflicts) > 0 {
		slices.Sort(conflicts)
		return fmt.Errorf("unable to configure the daemon with file %s: the following directives are specified both as a flag and in the configuration file: %s", c.ConfigFile, strings.Join(conflicts, ", "))
	}
	for key := range keys {
		if !slices.Contains(knownKeys(), key) {
			return fmt.Errorf("unable to configure the daemon with file %s: the following directives don't match any configuration option: %s", c.ConfigFile, key)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("unable to configure the daemon with file %s: %w", c.ConfigFile, err)
	}
	return nil
}

func knownKeys() []string {
	keys := make([]string, 0, len(flagKeys))
	for _, k := range flagKeys {
		keys = append(keys, k)
	}
	return keys
}
