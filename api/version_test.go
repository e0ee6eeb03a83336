package api

import "testing"

func TestVersionLess(t *testing.T) {
	cases := []struct {
		a, b string
		less bool
	}{
		{"1.9", "1.10", true}, {"1.10", "1.9", false}, {"1.41", "1.41", false}, {"1.24", "1.47", true}, {"2.0", "1.99", false}, {"1", "1.0", false},
	}
	for _, c := range cases {
		if got := VersionLess(c.a, c.b); got != c.less {
			t.Errorf("VersionLess(%s, %s) = %v", c.a, c.b, got)
		}
	}
}
