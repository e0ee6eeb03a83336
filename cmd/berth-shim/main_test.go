package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the shim lean: every running container pays for what it
// links (net alone, with cgo's resolver, costs about 2 MiB of RSS).
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case pkg == "net", strings.HasPrefix(pkg, "net/"), pkg == "log/slog", pkg == "flag",
			strings.HasPrefix(pkg, "github.com/spf13/"), strings.HasPrefix(pkg, "github.com/moby/"),
			strings.HasPrefix(pkg, "github.com/containerd/"), pkg == "github.com/berth/berth/runtime/shim":
			t.Errorf("the shim links %s", pkg)
		}
	}
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args    string
		id, dir string
		ok      bool
	}{
		{"-id abc -dir /run/x", "abc", "/run/x", true},
		{"--dir /run/x --id abc", "abc", "/run/x", true},
		{"-id abc", "", "", false},
		{"-id abc -dir", "", "", false},
		{"-id abc -dir /x -v 1", "", "", false},
	} {
		id, dir, ok := parseArgs(strings.Fields(tc.args))
		if ok != tc.ok || ok && (id != tc.id || dir != tc.dir) {
			t.Errorf("parseArgs(%q) = %q, %q, %v", tc.args, id, dir, ok)
		}
	}
}
