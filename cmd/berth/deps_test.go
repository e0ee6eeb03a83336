package main

import (
	"os/exec"
	"strings"
	"testing"
)

// daemonPackages are the module's packages that only berthd may link.
var daemonPackages = []string{
	"daemon", "server", "image", "layer", "content", "container",
	"runtime", "network", "volume", "build", "registry", "events",
}

// TestNoDaemonDependencies keeps the CLI a client: it may use the API
// client and types and package api, never the engine's own packages.
func TestNoDaemonDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/berth/berth/cmd/berth").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range daemonPackages {
			prefix := "github.com/berth/berth/" + banned
			if pkg == prefix || strings.HasPrefix(pkg, prefix+"/") {
				t.Errorf("berth links daemon package %s", pkg)
			}
		}
	}
}
