package builder

import (
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func parseCommand(t *testing.T, line string) instructions.Command {
	t.Helper()
	res, err := parser.Parse(strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	c, err := instructions.ParseCommand(res.AST.Children[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The history comments are Docker's, so that `docker history` reads the same.
func TestApplyMetadataComments(t *testing.T) {
	cases := []struct{ line, comment string }{
		{`ENV A=1 B=two`, "ENV A=1 B=two"},
		{`LABEL k=v`, "LABEL k=v"},
		{`CMD ["sh"]`, `CMD ["sh"]`},
		{`CMD echo hi`, `CMD ["/bin/sh" "-c" "echo hi"]`},
		{`ENTRYPOINT ["/e"]`, `ENTRYPOINT ["/e"]`},
		{`EXPOSE 80 53/udp`, "EXPOSE 53/udp 80/tcp"},
		{`VOLUME /a /b`, "VOLUME [/a /b]"},
		{`USER app`, "USER app"},
		{`STOPSIGNAL SIGKILL`, "STOPSIGNAL SIGKILL"},
		{`SHELL ["/bin/bash", "-c"]`, "SHELL [/bin/bash -c]"},
		{`ONBUILD RUN make`, "ONBUILD RUN make"},
	}
	for _, tc := range cases {
		s := &stage{}
		got, err := applyMetadata(s, parseCommand(t, tc.line))
		if err != nil || got != tc.comment {
			t.Errorf("%s: %q, %v; want %q", tc.line, got, err, tc.comment)
		}
	}
	if got := nopComment(&stage{}, "ENV A=1"); got != "/bin/sh -c #(nop)  ENV A=1" {
		t.Errorf("nop comment: %q", got)
	}
}

func TestEntrypointResetsInheritedCmd(t *testing.T) {
	s := &stage{}
	s.config.Cmd = []string{"inherited"}
	if _, err := applyMetadata(s, parseCommand(t, `ENTRYPOINT ["/e"]`)); err != nil {
		t.Fatal(err)
	}
	if s.config.Cmd != nil {
		t.Errorf("ENTRYPOINT kept the base image's CMD: %v", s.config.Cmd)
	}
	s = &stage{}
	for _, l := range []string{`CMD ["c"]`, `ENTRYPOINT ["/e"]`} {
		if _, err := applyMetadata(s, parseCommand(t, l)); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(s.config.Cmd, []string{"c"}) {
		t.Errorf("ENTRYPOINT dropped this stage's CMD: %v", s.config.Cmd)
	}
}

func TestHeredocCommandLines(t *testing.T) {
	run := func(line string) []string {
		c := parseCommand(t, line).(*instructions.RunCommand)
		return commandLine(&stage{}, withHeredocs(c.ShellDependantCmdLine))
	}
	if got := run("RUN <<EOF\necho a\necho b\nEOF\n"); !slices.Equal(got, []string{"/bin/sh", "-c", "echo a\necho b\n"}) {
		t.Errorf("RUN <<EOF: %q", got)
	}
	if got := run("RUN cat <<EOT > /f\nx\nEOT\n"); !slices.Equal(got, []string{"/bin/sh", "-c", "cat <<EOT > /f\nx\nEOT"}) {
		t.Errorf("RUN cmd <<EOT: %q", got)
	}
}

func TestCacheKeyCoversConfigAndExtra(t *testing.T) {
	a := &stage{imageID: "sha256:1"}
	b := &stage{imageID: "sha256:1"}
	b.config.Env = []string{"X=1"}
	keys := []string{cacheKey(a, "RUN x", ""), cacheKey(b, "RUN x", ""), cacheKey(a, "RUN y", ""), cacheKey(a, "RUN x", "src"),
		cacheKey(&stage{imageID: "sha256:2"}, "RUN x", "")}
	for i := range keys {
		for j := range i {
			if keys[i] == keys[j] {
				t.Errorf("keys %d and %d collide", i, j)
			}
		}
	}
	if cacheKey(a, "RUN x", "") != keys[0] {
		t.Error("cache key is not stable")
	}
}
