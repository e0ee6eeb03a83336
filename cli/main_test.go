package cli

import (
	"os"
	"testing"
	"time"
)

// TestMain pins the local time zone, which docker's formats print in.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}
