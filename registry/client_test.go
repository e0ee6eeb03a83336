package registry

import (
	"context"
	"testing"
)

func TestInsecureRegistries(t *testing.T) {
	c, err := NewClient(Options{InsecureRegistries: []string{"10.1.0.0/16", "myreg:5000", "http://other.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for host, want := range map[string]bool{
		"127.0.0.1:5000":       true, // 127.0.0.0/8 always, as in Docker
		"127.3.4.5":            true,
		"localhost:5000":       true, // resolves to 127.0.0.1
		"10.1.2.3:443":         true,
		"10.2.0.1":             false,
		"myreg:5000":           true,
		"myreg:5001":           false,
		"other.example":        true,
		"registry-1.docker.io": false,
		"[::1]:5000":           false, // Docker's default covers IPv4 loopback only
	} {
		if got := c.isInsecure(ctx, host); got != want {
			t.Errorf("isInsecure(%q) = %v, want %v", host, got, want)
		}
	}
	if _, err := NewClient(Options{InsecureRegistries: []string{"a/b/c"}}); err == nil {
		t.Error("a bad insecure registry was accepted")
	}
}
