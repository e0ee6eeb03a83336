package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func load(t *testing.T, file string, args ...string) (*Config, error) {
	t.Helper()
	var c Config
	var runtimes []string
	fs := pflag.NewFlagSet("berthd", pflag.ContinueOnError)
	c.Flags(fs, &runtimes)
	if file != "" {
		path := filepath.Join(t.TempDir(), "daemon.json")
		if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config-file", path)
	} else {
		args = append(args, "--config-file", filepath.Join(t.TempDir(), "absent.json"))
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	// An absent file given explicitly is an error; tests without a file
	// mimic the default path instead.
	if file == "" {
		c.ConfigFile = filepath.Join(t.TempDir(), "absent.json")
		fs.Lookup("config-file").Changed = false
	}
	return &c, c.Finish(fs, runtimes)
}

func TestDefaults(t *testing.T) {
	c, err := load(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.DataRoot != DefaultDataRoot || c.ExecRoot != DefaultExecRoot || c.Hosts[0] != DefaultHost || !c.LiveRestore || !c.IPTables {
		t.Errorf("defaults wrong: %+v", c)
	}
	if c.Pidfile != "/run/berth/berthd.pid" || c.DefaultRuntime != "runc" || c.Runtimes["crun"].Path != "crun" {
		t.Errorf("derived defaults wrong: %+v", c)
	}
	if c.UseTLS() || c.PlainTCPAllowed() {
		t.Error("TLS defaults wrong")
	}
}

func TestFileAndFlags(t *testing.T) {
	c, err := load(t, `{"data-root":"/srv/b","hosts":["tcp://127.0.0.1:1"],"runtimes":{"kata":{"path":"/k"}},"tls":false}`, "--exec-root", "/run/x")
	if err != nil {
		t.Fatal(err)
	}
	if c.DataRoot != "/srv/b" || c.ExecRoot != "/run/x" || c.Hosts[0] != "tcp://127.0.0.1:1" {
		t.Errorf("merge wrong: %+v", c)
	}
	if c.Runtimes["kata"].Path != "/k" || c.Runtimes["runc"].Path != "runc" {
		t.Errorf("runtimes wrong: %+v", c.Runtimes)
	}
	if !c.PlainTCPAllowed() {
		t.Error("tls:false in the file should allow plain TCP")
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		file string
		args []string
		want string
	}{
		{`{"data-root":"/a"}`, []string{"--data-root", "/b"}, "specified both as a flag and in the configuration file: data-root"},
		{`{"bogus":1}`, nil, "don't match any configuration option: bogus"},
		{`{`, nil, "unable to configure the daemon with file"},
		{``, []string{"--default-runtime", "nope"}, `default runtime "nope" is not a known runtime`},
		{``, []string{"--add-runtime", "x"}, "want NAME=PATH"},
	}
	for _, tc := range cases {
		_, err := load(t, tc.file, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("file %q args %v: err %v, want %q", tc.file, tc.args, err, tc.want)
		}
	}
}

func TestTLSVerifyImpliesTLS(t *testing.T) {
	c, err := load(t, "", "--tlsverify")
	if err != nil {
		t.Fatal(err)
	}
	if !c.UseTLS() || c.PlainTCPAllowed() {
		t.Error("--tlsverify must imply TLS")
	}
}

func TestAddRuntime(t *testing.T) {
	c, err := load(t, "", "--add-runtime", "my=/bin/my", "--default-runtime", "my")
	if err != nil {
		t.Fatal(err)
	}
	if c.Runtimes["my"].Path != "/bin/my" || c.DefaultRuntime != "my" {
		t.Errorf("runtimes wrong: %+v", c.Runtimes)
	}
}

func TestRegistrySettings(t *testing.T) {
	c, err := load(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxConcurrentDownloads != 3 || c.MaxConcurrentUploads != 5 || c.MaxDownloadAttempts != 5 || len(c.RegistryCertsDirs) != 2 {
		t.Errorf("defaults: downloads %d uploads %d certs dirs %v", c.MaxConcurrentDownloads, c.MaxConcurrentUploads, c.RegistryCertsDirs)
	}
	c, err = load(t, `{"max-concurrent-downloads": 1, "max-concurrent-uploads": 0, "registry-mirrors": ["https://m.example"], "allow-nondistributable-artifacts": ["10.0.0.0/8"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxConcurrentDownloads != 1 || c.MaxConcurrentUploads != 5 || c.RegistryMirrors[0] != "https://m.example" || c.AllowNondistributableArtifacts[0] != "10.0.0.0/8" {
		t.Errorf("from daemon.json: %+v", c)
	}
	c, err = load(t, "", "--max-concurrent-uploads", "9", "--registry-certs-dir", "/tmp/certs")
	if err != nil || c.MaxConcurrentUploads != 9 || len(c.RegistryCertsDirs) != 1 || c.RegistryCertsDirs[0] != "/tmp/certs" {
		t.Errorf("from flags: %+v %v", c, err)
	}
	for _, tc := range []struct {
		file string
		args []string
		want string
	}{
		{`{"max-concurrent-downloads": -1}`, nil, "invalid max concurrent downloads: -1"},
		{``, []string{"--max-concurrent-uploads", "-2"}, "invalid max concurrent uploads: -2"},
		{`{"max-download-attempts": -3}`, nil, "invalid max download attempts: -3"},
		{`{"max-concurrent-downloads": 2}`, []string{"--max-concurrent-downloads", "4"}, "max-concurrent-downloads: (from flag: 4, from file: 2)"},
	} {
		if _, err := load(t, tc.file, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("file %q args %v: err %v, want %q", tc.file, tc.args, err, tc.want)
		}
	}
}
