package filters

import (
	"testing"

	"github.com/containerd/errdefs"
)

func TestParseShapes(t *testing.T) {
	for _, in := range []string{
		`{"label":{"a=1":true},"dangling":{"true":true}}`,
		`{"label":["a=1"],"dangling":["true"]}`,
	} {
		a, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%s): %v", in, err)
		}
		if !a.Match("label", "a=1") || a.Match("label", "b") {
			t.Errorf("%s: label match wrong: %v", in, a)
		}
		if v, given, err := a.Bool("dangling"); !v || !given || err != nil {
			t.Errorf("%s: dangling = %v %v %v", in, v, given, err)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	for _, in := range []string{`{`, `{"a":1}`, `[]`} {
		if _, err := Parse(in); !errdefs.IsInvalidArgument(err) {
			t.Errorf("Parse(%s) = %v, want invalid argument", in, err)
		}
	}
}

func TestMatchLabels(t *testing.T) {
	labels := map[string]string{"a": "1", "b": ""}
	cases := []struct {
		want string
		ok   bool
	}{
		{"a", true}, {"a=1", true}, {"a=2", false}, {"c", false}, {"a!=2", true}, {"a!=1", false}, {"c!=1", true},
	}
	for _, c := range cases {
		a := Args{"label": {c.want: true}}
		if got := a.MatchLabels("label", labels); got != c.ok {
			t.Errorf("label=%s: got %v want %v", c.want, got, c.ok)
		}
	}
}

func TestValidateAndBool(t *testing.T) {
	a := Args{"dangling": {"maybe": true}, "bogus": {"x": true}}
	if err := a.Validate("dangling"); err == nil || err.Error() != "invalid filter 'bogus'" {
		t.Errorf("Validate: %v", err)
	}
	if _, _, err := a.Bool("dangling"); !errdefs.IsInvalidArgument(err) {
		t.Errorf("Bool(maybe) = %v", err)
	}
	if !a.MatchGlob("none", "x") || !(Args{"reference": {"bu*": true}}).MatchGlob("reference", "busybox") {
		t.Error("glob match")
	}
}
