package cli

import (
	"bytes"
	"testing"

	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

func TestWriteVersion(t *testing.T) {
	server := serverVersion(client.ServerVersionResult{
		Version: "0.1.0", APIVersion: "1.44", MinAPIVersion: "1.24", Os: "linux", Arch: "amd64",
		Components: []system.ComponentVersion{
			{Name: "Engine", Version: "0.1.0", Details: map[string]string{
				"ApiVersion": "1.44", "MinAPIVersion": "1.24", "GoVersion": "go1.26", "GitCommit": "abc",
				"BuildTime": "2026-11-26T10:00:00.000000000+00:00", "Os": "linux", "Arch": "amd64", "Experimental": "false",
			}},
			{Name: "runc", Version: "1.1.5", Details: map[string]string{"GitCommit": "v1.1.5"}},
		},
	})
	info := versionInfo{
		Client: clientVersion{Version: "0.1.0", APIVersion: "1.44", DefaultAPIVersion: "1.56", GoVersion: "go1.26",
			GitCommit: "abc", BuildTime: "Thu Nov 26 10:00:00 2026", Os: "linux", Arch: "amd64", Context: "default"},
		Server: server,
	}
	tmpl, err := versionTemplateFor("")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := writeVersion(&out, info, tmpl); err != nil {
		t.Fatal(err)
	}
	want := `Client:
 Version:           0.1.0
 API version:       1.44 (downgraded from 1.56)
 Go version:        go1.26
 Git commit:        abc
 Built:             Thu Nov 26 10:00:00 2026
 OS/Arch:           linux/amd64
 Context:           default

Server:
 Engine:
  Version:          0.1.0
  API version:      1.44 (minimum version 1.24)
  Go version:       go1.26
  Git commit:       abc
  Built:            Thu Nov 26 10:00:00 2026
  OS/Arch:          linux/amd64
  Experimental:     false
 runc:
  Version:          1.1.5
  GitCommit:        v1.1.5
`
	if got := out.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if server.GitCommit != "abc" || server.BuildTime != "2026-11-26T10:00:00.000000000+00:00" {
		t.Errorf("engine details not lifted to the top level: %+v", server)
	}
}

func TestServerVersionWithoutComponents(t *testing.T) {
	v := serverVersion(client.ServerVersionResult{Version: "1", APIVersion: "1.41", Os: "linux", Arch: "arm64"})
	if len(v.Components) != 1 || v.Components[0].Name != "Engine" || v.Components[0].Details["Arch"] != "arm64" {
		t.Errorf("got %+v", v.Components)
	}
}
