package spec

import (
	"reflect"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestExecProcess(t *testing.T) {
	opts := testOptions(t)
	opts.Config = &container.Config{Cmd: []string{"sh"}, Tty: true, WorkingDir: "/srv", Env: []string{"A=1"}}
	opts.HostConfig.GroupAdd = []string{"staff"}
	opts.HostConfig.Ulimits = []*container.Ulimit{{Name: "nproc", Soft: 10, Hard: 10}}
	opts.HostConfig.SecurityOpt = []string{"no-new-privileges"}
	base, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	size := [2]uint{30, 100}
	tests := []struct {
		name string
		ex   container.ExecCreateRequest
		want func(p *specs.Process)
	}{
		{name: "inherits", ex: container.ExecCreateRequest{Cmd: []string{"id"}}, want: func(p *specs.Process) {
			p.Args, p.Terminal, p.ConsoleSize = []string{"id"}, false, nil
			p.Env = []string{"PATH=" + defaultPath, "HOSTNAME=0123456789ab", "A=1", "HOME=/root"}
		}},
		{name: "tty and env", ex: container.ExecCreateRequest{Cmd: []string{"sh"}, Tty: true, ConsoleSize: &size, Env: []string{"A=2", "B=3", "HOSTNAME"}},
			want: func(p *specs.Process) {
				p.Args, p.ConsoleSize = []string{"sh"}, &specs.Box{Height: 30, Width: 100}
				p.Env = []string{"PATH=" + defaultPath, "A=2", "TERM=xterm", "B=3", "HOME=/root"}
			}},
		{name: "user and workdir", ex: container.ExecCreateRequest{Cmd: []string{"id"}, User: "app", WorkingDir: "/tmp"},
			want: func(p *specs.Process) {
				p.Args, p.Terminal, p.ConsoleSize, p.Cwd = []string{"id"}, false, nil, "/tmp"
				p.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 1, 50}}
				p.Env = []string{"PATH=" + defaultPath, "HOSTNAME=0123456789ab", "A=1", "HOME=/home/app"}
			}},
		{name: "privileged", ex: container.ExecCreateRequest{Cmd: []string{"id"}, Privileged: true},
			want: func(p *specs.Process) {
				p.Args, p.Terminal, p.ConsoleSize = []string{"id"}, false, nil
				p.Env = []string{"PATH=" + defaultPath, "HOSTNAME=0123456789ab", "A=1", "HOME=/root"}
				available, err := availableCaps()
				if err != nil {
					t.Fatal(err)
				}
				p.Capabilities = capSet(available)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExecProcess(base, opts.Rootfs, tt.ex)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := cloneProcess(base.Process)
			tt.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("process\n got %+v\nwant %+v", got, want)
			}
		})
	}
	if base.Process.Args[0] != "sh" || len(base.Process.Env) != 5 {
		t.Errorf("ExecProcess changed the container's process: %+v", base.Process)
	}
}

// Variables the container sets itself stay as they are in an exec.
func TestExecProcessKeepsContainerEnv(t *testing.T) {
	opts := testOptions(t)
	opts.Config = &container.Config{Cmd: []string{"sh"}, Tty: true, Env: []string{"HOME=/data", "TERM=vt100"}}
	base, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ExecProcess(base, opts.Rootfs, container.ExecCreateRequest{Cmd: []string{"env"}, User: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"PATH=" + defaultPath, "HOSTNAME=0123456789ab", "TERM=vt100", "HOME=/data"}; !reflect.DeepEqual(p.Env, want) {
		t.Errorf("Env = %q, want %q", p.Env, want)
	}
}

func TestExecProcessErrors(t *testing.T) {
	opts := testOptions(t)
	base, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range []container.ExecCreateRequest{
		{},
		{Cmd: []string{"id"}, User: "nosuch"},
		{Cmd: []string{"id"}, WorkingDir: "tmp"},
	} {
		if _, err := ExecProcess(base, opts.Rootfs, ex); !errdefs.IsInvalidArgument(err) {
			t.Errorf("%+v: err = %v, want invalid argument", ex, err)
		}
	}
}
