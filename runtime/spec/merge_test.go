package spec

import (
	"reflect"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func image(entrypoint, cmd []string) *dockerspec.DockerOCIImageConfig {
	var img dockerspec.DockerOCIImageConfig
	img.Entrypoint, img.Cmd = entrypoint, cmd
	return &img
}

func TestMergeImageConfigCommand(t *testing.T) {
	tests := []struct {
		name                    string
		img                     *dockerspec.DockerOCIImageConfig
		entrypoint, cmd         []string
		wantEntrypoint, wantCmd []string
		wantErr                 bool
	}{
		{name: "image entrypoint and cmd", img: image([]string{"/entry"}, []string{"arg"}),
			wantEntrypoint: []string{"/entry"}, wantCmd: []string{"arg"}},
		{name: "run img cmd replaces cmd only", img: image([]string{"/entry"}, []string{"arg"}),
			cmd: []string{"other"}, wantEntrypoint: []string{"/entry"}, wantCmd: []string{"other"}},
		{name: "--entrypoint drops image cmd", img: image([]string{"/entry"}, []string{"arg"}),
			entrypoint: []string{"x"}, wantEntrypoint: []string{"x"}},
		{name: "--entrypoint with cmd", img: image([]string{"/entry"}, []string{"arg"}),
			entrypoint: []string{"x"}, cmd: []string{"y"}, wantEntrypoint: []string{"x"}, wantCmd: []string{"y"}},
		{name: "empty entrypoint clears it, keeps given cmd", img: image([]string{"/entry"}, []string{"arg"}),
			entrypoint: []string{""}, cmd: []string{"sh"}, wantCmd: []string{"sh"}},
		{name: "empty entrypoint alone runs nothing", img: image([]string{"/entry"}, []string{"arg"}),
			entrypoint: []string{""}, wantErr: true},
		{name: "image cmd only", img: image(nil, []string{"sh"}), wantCmd: []string{"sh"}},
		{name: "nothing to run", img: image(nil, nil), wantErr: true},
		{name: "no image", cmd: []string{"true"}, wantCmd: []string{"true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &container.Config{Entrypoint: tt.entrypoint, Cmd: tt.cmd}
			err := MergeImageConfig(cfg, tt.img)
			if tt.wantErr {
				if !errdefs.IsInvalidArgument(err) || err.Error() != "no command specified" {
					t.Fatalf("err = %v, want invalid argument %q", err, "no command specified")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equalStrings(cfg.Entrypoint, tt.wantEntrypoint) || !equalStrings(cfg.Cmd, tt.wantCmd) {
				t.Errorf("Entrypoint, Cmd = %q, %q; want %q, %q", cfg.Entrypoint, cfg.Cmd, tt.wantEntrypoint, tt.wantCmd)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func TestMergeImageConfigFields(t *testing.T) {
	img := &dockerspec.DockerOCIImageConfig{
		ImageConfig: ocispec.ImageConfig{
			User:         "app",
			Env:          []string{"PATH=/img/bin", "A=image", "B=image"},
			Cmd:          []string{"sh"},
			WorkingDir:   "/app",
			Labels:       map[string]string{"l1": "image", "l2": "image"},
			ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}},
			Volumes:      map[string]struct{}{"/data": {}},
			StopSignal:   "SIGQUIT",
		},
		DockerOCIImageConfigExt: dockerspec.DockerOCIImageConfigExt{
			Healthcheck: &dockerspec.HealthcheckConfig{Test: []string{"CMD", "true"}, Interval: time.Second, Retries: 3},
			OnBuild:     []string{"RUN true"},
			Shell:       []string{"/bin/bash", "-c"},
		},
	}
	cfg := &container.Config{
		Env:          []string{"B=container", "C=container"},
		Labels:       map[string]string{"l2": "container"},
		ExposedPorts: network.PortSet{network.MustParsePort("8080/tcp"): {}},
		Healthcheck:  &container.HealthConfig{Retries: 5},
	}
	if err := MergeImageConfig(cfg, img); err != nil {
		t.Fatal(err)
	}
	want := &container.Config{
		User:       "app",
		Env:        []string{"B=container", "C=container", "PATH=/img/bin", "A=image"},
		Cmd:        []string{"sh"},
		WorkingDir: "/app",
		Labels:     map[string]string{"l1": "image", "l2": "container"},
		ExposedPorts: network.PortSet{
			network.MustParsePort("8080/tcp"): {}, network.MustParsePort("80/tcp"): {}, network.MustParsePort("53/udp"): {},
		},
		Volumes:     map[string]struct{}{"/data": {}},
		StopSignal:  "SIGQUIT",
		Healthcheck: &container.HealthConfig{Test: []string{"CMD", "true"}, Interval: time.Second, Retries: 5},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("merged config\n got %+v\nwant %+v", cfg, want)
	}
}

func TestMergeImageConfigUserWins(t *testing.T) {
	img := image(nil, []string{"sh"})
	img.User, img.WorkingDir, img.StopSignal = "app", "/app", "SIGQUIT"
	cfg := &container.Config{User: "root", WorkingDir: "/", StopSignal: "SIGTERM"}
	if err := MergeImageConfig(cfg, img); err != nil {
		t.Fatal(err)
	}
	if cfg.User != "root" || cfg.WorkingDir != "/" || cfg.StopSignal != "SIGTERM" || cfg.Labels == nil {
		t.Errorf("User, WorkingDir, StopSignal, Labels = %q, %q, %q, %v", cfg.User, cfg.WorkingDir, cfg.StopSignal, cfg.Labels)
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		entrypoint, cmd []string
		path            string
		args            []string
	}{
		{cmd: []string{"sh"}, path: "sh", args: []string{}},
		{cmd: []string{"sh", "-c", "x"}, path: "sh", args: []string{"-c", "x"}},
		{entrypoint: []string{"/e", "a"}, cmd: []string{"b"}, path: "/e", args: []string{"a", "b"}},
		{entrypoint: []string{"/e"}, path: "/e", args: []string{}},
		{path: "", args: []string{}},
	}
	for _, tt := range tests {
		cfg := &container.Config{Entrypoint: tt.entrypoint, Cmd: tt.cmd}
		path, args := Command(cfg)
		if path != tt.path || !reflect.DeepEqual(args, tt.args) {
			t.Errorf("Command(%q, %q) = %q, %q; want %q, %q", tt.entrypoint, tt.cmd, path, args, tt.path, tt.args)
		}
		if len(tt.entrypoint) > 1 {
			args[0] = "changed"
			if cfg.Entrypoint[1] == "changed" {
				t.Error("Command's args alias Config.Entrypoint")
			}
		}
	}
}
