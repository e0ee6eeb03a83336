package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// parseContainerArgs parses create/run flags and the image and command
// after them, with env as the environment of berth.
func parseContainerArgs(t *testing.T, env map[string]string, args ...string) (*containerConfig, error) {
	t.Helper()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	o := addContainerFlags(fs, lookup)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		t.Fatal("no image in args")
	}
	o.Image, o.Args = rest[0], rest[1:]
	return o.parse(lookup)
}

// jsonField returns the JSON of one field of v, found by a dotted path of
// JSON names ("HostConfig.NanoCpus").
func jsonField(t *testing.T, v any, path string) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range strings.Split(path, ".") {
		obj, ok := m.(map[string]any)
		if !ok {
			t.Fatalf("%s: %s is not an object", path, key)
		}
		m = obj[key]
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func TestContainerFlagsToConfig(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	writeFile(t, envFile, "\ufeff# comment\n\nA=from-file\n  B=spaced value \nFROMENV\nUNSET\n")
	labelFile := filepath.Join(dir, "labels")
	writeFile(t, labelFile, "l1=v1\nbare\n# x=y\n")
	env := map[string]string{"FROMENV": "e", "HOME": "/root"}

	tests := []struct {
		name string
		args []string
		want map[string]string // JSON path -> JSON value
	}{
		{"defaults", []string{"busybox"}, map[string]string{
			"Config.AttachStdout":              "true",
			"Config.AttachStderr":              "true",
			"Config.AttachStdin":               "false",
			"Config.Env":                       "null",
			"Config.Cmd":                       "null",
			"Config.Entrypoint":                "null",
			"Config.Volumes":                   "{}",
			"Config.Labels":                    "{}",
			"HostConfig.NetworkMode":           `"default"`,
			"HostConfig.RestartPolicy":         `{"Name":"no","MaximumRetryCount":0}`,
			"HostConfig.MemorySwappiness":      "-1",
			"HostConfig.Init":                  "null",
			"HostConfig.AutoRemove":            "false",
			"HostConfig.Dns":                   "[]",
			"NetworkingConfig.EndpointsConfig": `{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","MacAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}`,
			"Config.StopSignal":                "null",
			"Config.StopTimeout":               "null",
		}},
		{"command", []string{"busybox", "sh", "-c", "echo hi"}, map[string]string{
			"Config.Cmd":   `["sh","-c","echo hi"]`,
			"Config.Image": `"busybox"`,
		}},
		{"tty and stdin", []string{"-i", "-t", "busybox"}, map[string]string{
			"Config.Tty":         "true",
			"Config.OpenStdin":   "true",
			"Config.StdinOnce":   "true",
			"Config.AttachStdin": "true",
		}},
		{"stdin without tty", []string{"-i", "busybox"}, map[string]string{
			"Config.Tty":         "false",
			"Config.OpenStdin":   "true",
			"Config.StdinOnce":   "true",
			"Config.AttachStdin": "true",
		}},
		{"attach picks streams", []string{"-a", "STDERR", "busybox"}, map[string]string{
			"Config.AttachStdout": "false",
			"Config.AttachStderr": "true",
			"Config.AttachStdin":  "false",
		}},
		{"env files before -e", []string{"-e", "X=1", "-e", "HOME", "-e", "NOPE", "--env-file", envFile, "busybox"}, map[string]string{
			"Config.Env": `["A=from-file","B=spaced value ","FROMENV=e","X=1","HOME=/root","NOPE"]`,
		}},
		{"labels", []string{"-l", "k=v", "-l", "flag", "--label-file", labelFile, "busybox"}, map[string]string{
			"Config.Labels": `{"flag":"","k":"v","l1":"v1"}`,
		}},
		{"entrypoint", []string{"--entrypoint", "/bin/sh", "busybox"}, map[string]string{
			"Config.Entrypoint": `["/bin/sh"]`,
		}},
		{"empty entrypoint resets", []string{"--entrypoint=", "busybox"}, map[string]string{
			"Config.Entrypoint": `[""]`,
		}},
		{"init", []string{"--init", "busybox"}, map[string]string{"HostConfig.Init": "true"}},
		{"init false is sent", []string{"--init=false", "busybox"}, map[string]string{"HostConfig.Init": "false"}},
		{"log driver and options", []string{"--log-driver", "json-file", "--log-opt", "max-size=1m", "--log-opt", "max-file=2", "busybox"}, map[string]string{
			"HostConfig.LogConfig": `{"Type":"json-file","Config":{"max-file":"2","max-size":"1m"}}`,
		}},
		{"cpus", []string{"--cpus", "1.5", "busybox"}, map[string]string{"HostConfig.NanoCpus": "1500000000"}},
		{"memory", []string{"-m", "64m", "--memory-swap", "-1", "--shm-size", "1g", "busybox"}, map[string]string{
			"HostConfig.Memory":     "67108864",
			"HostConfig.MemorySwap": "-1",
			"HostConfig.ShmSize":    "1073741824",
		}},
		{"rm", []string{"--rm", "busybox"}, map[string]string{"HostConfig.AutoRemove": "true"}},
		{"publish", []string{"-p", "127.0.0.1:8080:80/udp", "-p", "9000", "-p", "7000-7001:70-71", "-p", "[::1]:5000:5000", "busybox"}, map[string]string{
			"Config.ExposedPorts":     `{"5000/tcp":{},"70/tcp":{},"71/tcp":{},"80/udp":{},"9000/tcp":{}}`,
			"HostConfig.PortBindings": `{"5000/tcp":[{"HostIp":"::1","HostPort":"5000"}],"70/tcp":[{"HostIp":"","HostPort":"7000"}],"71/tcp":[{"HostIp":"","HostPort":"7001"}],"80/udp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],"9000/tcp":[{"HostIp":"","HostPort":""}]}`,
		}},
		{"publish long form and expose", []string{"-p", "published=8080,target=80", "--expose", "90-91/udp", "busybox"}, map[string]string{
			"Config.ExposedPorts":     `{"80/tcp":{},"90/udp":{},"91/udp":{}}`,
			"HostConfig.PortBindings": `{"80/tcp":[{"HostIp":"","HostPort":"8080"}]}`,
		}},
		{"volumes", []string{"-v", "/h:/c:ro", "-v", "/anon", "-v", "named:/n", "busybox"}, map[string]string{
			"HostConfig.Binds": `["/h:/c:ro","named:/n"]`,
			"Config.Volumes":   `{"/anon":{}}`,
		}},
		{"mount", []string{"--mount", "type=bind,src=/h,dst=/c,readonly", "--mount", "target=/v,volume-nocopy", "busybox"}, map[string]string{
			"HostConfig.Mounts": `[{"Type":"bind","Source":"/h","Target":"/c","ReadOnly":true},{"Type":"volume","Target":"/v","VolumeOptions":{"NoCopy":true}}]`,
		}},
		{"tmpfs", []string{"--tmpfs", "/run:size=1m", "--tmpfs", "/tmp", "busybox"}, map[string]string{
			"HostConfig.Tmpfs": `{"/run":"size=1m","/tmp":""}`,
		}},
		{"network", []string{"--network", "none", "busybox"}, map[string]string{
			"HostConfig.NetworkMode":           `"none"`,
			"NetworkingConfig.EndpointsConfig": "{}",
		}},
		{"user-defined network with alias", []string{"--network", "mynet", "--network-alias", "web", "busybox"}, map[string]string{
			"HostConfig.NetworkMode":                         `"mynet"`,
			"NetworkingConfig.EndpointsConfig.mynet.Aliases": `["web"]`,
		}},
		{"restart", []string{"--restart", "on-failure:3", "busybox"}, map[string]string{
			"HostConfig.RestartPolicy": `{"Name":"on-failure","MaximumRetryCount":3}`,
		}},
		{"security", []string{"--privileged", "--read-only", "--cap-add", "net_admin", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--security-opt", "label:disable", "busybox"}, map[string]string{
			"HostConfig.Privileged":     "true",
			"HostConfig.ReadonlyRootfs": "true",
			"HostConfig.CapAdd":         `["net_admin"]`,
			"HostConfig.CapDrop":        `["ALL"]`,
			"HostConfig.SecurityOpt":    `["no-new-privileges","label:disable"]`,
		}},
		{"systempaths unconfined", []string{"--security-opt", "systempaths=unconfined", "busybox"}, map[string]string{
			"HostConfig.SecurityOpt":   "null",
			"HostConfig.MaskedPaths":   "[]",
			"HostConfig.ReadonlyPaths": "[]",
		}},
		{"ulimits and groups", []string{"--ulimit", "nofile=10:20", "--ulimit", "nproc=5", "--group-add", "10", "busybox"}, map[string]string{
			"HostConfig.Ulimits":  `[{"Name":"nofile","Hard":20,"Soft":10},{"Name":"nproc","Hard":5,"Soft":5}]`,
			"HostConfig.GroupAdd": `["10"]`,
		}},
		{"process settings", []string{"-w", "/tmp", "-u", "nobody", "-h", "myhost", "--runtime", "runc", "--stop-signal", "SIGINT", "--stop-timeout", "0", "busybox"}, map[string]string{
			"Config.WorkingDir":  `"/tmp"`,
			"Config.User":        `"nobody"`,
			"Config.Hostname":    `"myhost"`,
			"HostConfig.Runtime": `"runc"`,
			"Config.StopSignal":  `"SIGINT"`,
			"Config.StopTimeout": "0",
		}},
		{"healthcheck", []string{"--health-cmd", "true", "--health-interval", "5s", "busybox"}, map[string]string{
			"Config.Healthcheck": `{"Test":["CMD-SHELL","true"],"Interval":5000000000}`,
		}},
		{"no healthcheck", []string{"--no-healthcheck", "busybox"}, map[string]string{
			"Config.Healthcheck": `{"Test":["NONE"]}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseContainerArgs(t, env, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			for path, want := range tt.want {
				if got, want := jsonField(t, cfg, path), normalizeJSON(t, want); got != want {
					t.Errorf("%s = %s, want %s", path, got, want)
				}
			}
		})
	}
}

func TestContainerFlagErrors(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--cpus", "abc", "busybox"}, `invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number`},
		{[]string{"--cpus", "0.0000000001", "busybox"}, "value is too precise"},
		{[]string{"-m", "12q", "busybox"}, `invalid argument "12q" for "-m, --memory" flag: invalid suffix: 'q'`},
		{[]string{"-e", "=x", "busybox"}, "invalid environment variable: =x"},
		{[]string{"-a", "stdfoo", "busybox"}, "valid streams are STDIN, STDOUT and STDERR"},
		{[]string{"--ulimit", "bogus", "busybox"}, "invalid ulimit argument: bogus"},
		{[]string{"--mount", "type=bind", "busybox"}, "target is required"},
		{[]string{"--mount", "type=bind,target=/x,volume-nocopy", "busybox"}, "cannot mix 'volume-*' options with mount type 'bind'"},
		{[]string{"-p", "99999", "busybox"}, "invalid containerPort: 99999"},
		{[]string{"-p", "1.2.3:80:80", "busybox"}, "invalid IP address: 1.2.3"},
		{[]string{"-p", "80/foo", "busybox"}, "invalid proto: foo"},
		{[]string{"-p", "8000-8002:80-81", "busybox"}, "invalid ranges specified for container and host Ports: 80-81 and 8000-8002"},
		{[]string{"--expose", "1:2", "busybox"}, "invalid port format for --expose: 1:2"},
		{[]string{"--rm", "--restart", "always", "busybox"}, "conflicting options: cannot specify both --restart and --rm"},
		{[]string{"--restart", "on-failure:x", "busybox"}, "invalid restart policy format: maximum retry count must be an integer"},
		{[]string{"--log-driver", "none", "--log-opt", "a=b", "busybox"}, "invalid logging opts for driver none"},
		{[]string{"--security-opt", "bogus", "busybox"}, `Invalid --security-opt: "bogus"`},
		{[]string{"--memory-swappiness", "200", "busybox"}, "invalid value: 200. Valid memory swappiness range is 0-100"},
		{[]string{"--pid", "bogus", "busybox"}, "--pid: invalid PID mode"},
		{[]string{"--no-healthcheck", "--health-cmd", "x", "busybox"}, "--no-healthcheck conflicts with --health-* options"},
		{[]string{"--env-file", "/nonexistent/env", "busybox"}, "open /nonexistent/env: no such file or directory"},
		{[]string{"--network", "none", "--network-alias", "x", "busybox"}, "network-scoped aliases are only supported for user-defined networks"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parseContainerArgs(t, nil, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestReadKVFileBadKey(t *testing.T) {
	f := filepath.Join(t.TempDir(), "env")
	writeFile(t, f, "BAD KEY=1\n")
	_, err := readKVFiles([]string{f}, nil)
	want := "poorly formatted environment: variable 'BAD KEY' contains whitespaces"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

func TestParseDevice(t *testing.T) {
	tests := []struct {
		spec string
		want [3]string
	}{
		{"/dev/fuse", [3]string{"/dev/fuse", "/dev/fuse", "rwm"}},
		{"/dev/fuse:r", [3]string{"/dev/fuse", "/dev/fuse", "r"}},
		{"/dev/a:/dev/b", [3]string{"/dev/a", "/dev/b", "rwm"}},
		{"/dev/a:/dev/b:rw", [3]string{"/dev/a", "/dev/b", "rw"}},
	}
	for _, tt := range tests {
		m, err := parseDevice(tt.spec)
		if err != nil {
			t.Fatalf("%s: %v", tt.spec, err)
		}
		if got := [3]string{m.PathOnHost, m.PathInContainer, m.CgroupPermissions}; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.spec, got, tt.want)
		}
	}
	if _, err := parseDevice("/dev/a:b"); err == nil {
		t.Error("relative container path accepted")
	}
}

// normalizeJSON re-encodes s with sorted object keys, as jsonField does.
func normalizeJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
