package dockerfile

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

func TestParseErrorsNameTheLine(t *testing.T) {
	cases := map[string]string{
		"FROM a\nRUN x\nFROBNICATE y\n": "dockerfile parse error on line 3: unknown instruction: FROBNICATE",
		"FROM a\nENV\n":                 "dockerfile parse error on line 2:",
		"RUN x\n":                       "dockerfile parse error on line 1:",
	}
	for df, want := range cases {
		_, err := Parse([]byte(df))
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%q: %v, want %q", df, err, want)
		}
	}
	if _, err := Parse([]byte("FROM a\nRUN --mount=type=cache,target=/c true\n")); !errors.Is(err, errdefs.ErrNotImplemented) {
		t.Errorf("RUN --mount: %v", err)
	}
}

func TestNeededStages(t *testing.T) {
	df, err := Parse([]byte(`ARG BASE=base
FROM alpine AS base
FROM base AS unused
FROM alpine AS tools
FROM ${BASE} AS app
COPY --from=tools /t /t
FROM alpine AS other
COPY --from=1 /x /x
`))
	if err != nil {
		t.Fatal(err)
	}
	expand := func(s string) string { return strings.ReplaceAll(s, "${BASE}", "base") }
	target, err := df.Target("app")
	if err != nil {
		t.Fatal(err)
	}
	if got := df.Needed(target, expand); !slices.Equal(got, []int{0, 2, 3}) {
		t.Errorf("needed for app: %v", got)
	}
	last, _ := df.Target("")
	if got := df.Needed(last, expand); !slices.Equal(got, []int{0, 1, 4}) {
		t.Errorf("needed for the last stage: %v", got)
	}
	if _, err := df.Target("nope"); err == nil || err.Error() != "failed to reach build target nope in Dockerfile" {
		t.Errorf("unknown target: %v", err)
	}
}
