package daemon

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// runtimeVersion is what an OCI runtime binary says of itself.
type runtimeVersion struct {
	Version, Commit string
}

// probeRuntime runs `<path> --version` (runc and crun print "<name> version
// X" and a "commit: Y" line). A missing binary gives the zero value.
func probeRuntime(path string) runtimeVersion {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return runtimeVersion{}
	}
	var v runtimeVersion
	for _, line := range strings.Split(string(out), "\n") {
		if _, after, ok := strings.Cut(line, " version "); ok && v.Version == "" {
			v.Version = strings.TrimSpace(after)
		}
		if after, ok := strings.CutPrefix(line, "commit: "); ok {
			v.Commit = strings.TrimSpace(after)
		}
	}
	return v
}
