// Package testenv says what a test needs from the machine it runs on.
package testenv

import (
	"os"
	"testing"
)

// RequireRoot skips tb unless it runs as root: real mounts, cgroups,
// namespaces and a real berthd need it. CI runs as root, so there these
// tests always run.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			tb.Fatal("this test needs root, and CI must run as root")
		}
		tb.Skip("needs root")
	}
}
