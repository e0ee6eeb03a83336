package cli

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
)

func TestWriteInfo(t *testing.T) {
	info := &system.Info{
		Containers: 3, ContainersRunning: 1, ContainersStopped: 2, Images: 4,
		ServerVersion: "0.1.0", Driver: "overlay2",
		DriverStatus:  [][2]string{{"Backing Filesystem", "extfs"}},
		LoggingDriver: "json-file", CgroupDriver: "cgroupfs", CgroupVersion: "1",
		Plugins:        system.PluginsInfo{Volume: []string{"local"}, Network: []string{"bridge", "host"}, Log: []string{"json-file"}},
		Swarm:          swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive},
		Runtimes:       map[string]system.RuntimeWithStatus{"runc": {}, "crun": {}},
		DefaultRuntime: "runc", OSType: "linux", InitBinary: "",
		SecurityOptions: []string{"name=seccomp,profile=builtin", "name=cgroupns"},
		KernelVersion:   "6.1", OperatingSystem: "Debian", Architecture: "x86_64",
		NCPU: 2, MemTotal: 2 << 30, Name: "vm", ID: "abc", DockerRootDir: "/var/lib/berth",
		RegistryConfig: &registry.ServiceConfig{InsecureRegistryCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Warnings:       []string{"WARNING: no swap limit support"},
	}
	data := infoData{Info: info, ClientInfo: &clientInfo{clientVersion: clientVersion{Version: "1.0", Context: "default"}}}
	var out, errOut bytes.Buffer
	if err := writeInfo(&out, &errOut, data); err != nil {
		t.Fatal(err)
	}
	want := `Client:
 Version:    1.0
 Context:    default
 Debug Mode: false

Server:
 Containers: 3
  Running: 1
  Paused: 0
  Stopped: 2
 Images: 4
 Server Version: 0.1.0
 Storage Driver: overlay2
  Backing Filesystem: extfs
 Logging Driver: json-file
 Cgroup Driver: cgroupfs
 Cgroup Version: 1
 Plugins:
  Volume: local
  Network: bridge host
  Log: json-file
 Swarm: inactive
 Runtimes: crun runc
 Default Runtime: runc
 Init Binary: 
 containerd version: 
 runc version: 
 init version: 
 Security Options:
  seccomp
   Profile: builtin
  cgroupns
 Kernel Version: 6.1
 Operating System: Debian
 OSType: linux
 Architecture: x86_64
 CPUs: 2
 Total Memory: 2GiB
 Name: vm
 ID: abc
 Docker Root Dir: /var/lib/berth
 Debug Mode: false
 Experimental: false
 Insecure Registries:
  127.0.0.0/8
 Live Restore Enabled: false

`
	if got := out.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if errOut.String() != "WARNING: no swap limit support\n" {
		t.Errorf("stderr %q", errOut.String())
	}
}

func TestWriteInfoServerError(t *testing.T) {
	data := infoData{ClientInfo: &clientInfo{}, ServerErrors: []string{"Cannot connect to the Berth daemon"}}
	var out, errOut bytes.Buffer
	err := writeInfo(&out, &errOut, data)
	if err == nil || !strings.HasSuffix(out.String(), "Server:\n") || errOut.String() != "ERROR: Cannot connect to the Berth daemon\n" {
		t.Errorf("got %v, %q, %q", err, out.String(), errOut.String())
	}
}

func TestWriteInfoFormat(t *testing.T) {
	data := infoData{Info: &system.Info{ServerVersion: "0.1.0", Driver: "overlay2"}, ClientInfo: &clientInfo{}}
	var out bytes.Buffer
	if err := writeInfoFormat(&out, data, "{{.ServerVersion}} {{.Driver}}"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "0.1.0 overlay2\n" {
		t.Errorf("got %q", out.String())
	}
	if err := writeInfoFormat(&out, data, "{{.Driver"); exitCode(err) != 64 {
		t.Errorf("bad template: got %v", err)
	}
}
