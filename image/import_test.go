package image

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/berth/berth/test/fixture"
	"github.com/klauspost/compress/zstd"
)

func TestImportWithChanges(t *testing.T) {
	e := newEnv(t)
	rootfs := busybox(t, fixture.Options{}).Layers[0]
	ctx := context.Background()
	changes := []string{
		`ENV A=1 B="two words"`,
		"ENV PATH=/bin",
		`LABEL maintainer="me" version=$A`,
		`EXPOSE 80 53/udp 8000-8001`,
		`VOLUME ["/data", "/logs"]`,
		"WORKDIR /srv",
		"WORKDIR app",
		"USER nobody:nogroup",
		"STOPSIGNAL SIGINT",
		`ENTRYPOINT ["/bin/sh", "-c"]`,
		"CMD echo $A",
		"ONBUILD RUN echo hi",
		"HEALTHCHECK --interval=5s CMD true",
	}
	id, err := e.svc.Import(ctx, bytes.NewReader(rootfs), ImportOptions{Repo: "imported", Tag: "v1", Changes: changes, Message: "from a tar"})
	if err != nil {
		t.Fatal(err)
	}
	in := e.inspect("imported:v1")
	c := in.Config
	if in.ID != id.String() || in.Comment != "from a tar" || in.Os != "linux" || in.Architecture == "" || len(in.RootFS.Layers) != 1 ||
		in.Metadata.LastTagTime.IsZero() {
		t.Errorf("inspect = %+v", in)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"Env", slices.Equal(c.Env, []string{"A=1", "B=two words", "PATH=/bin"})},
		{"Labels", c.Labels["maintainer"] == "me" && c.Labels["version"] == "1"},
		{"ExposedPorts", len(c.ExposedPorts) == 4 && has(c.ExposedPorts, "80/tcp") && has(c.ExposedPorts, "53/udp") && has(c.ExposedPorts, "8001/tcp")},
		{"Volumes", len(c.Volumes) == 2 && has(c.Volumes, "/logs")},
		{"WorkingDir", c.WorkingDir == "/srv/app"},
		{"User", c.User == "nobody:nogroup"},
		{"StopSignal", c.StopSignal == "SIGINT"},
		{"Entrypoint", slices.Equal(c.Entrypoint, []string{"/bin/sh", "-c"})},
		{"Cmd", slices.Equal(c.Cmd, []string{"/bin/sh", "-c", "echo $A"})},
		{"OnBuild", slices.Equal(c.OnBuild, []string{"RUN echo hi"})},
		{"Healthcheck", c.Healthcheck != nil && slices.Equal(c.Healthcheck.Test, []string{"CMD-SHELL", "true"}) && c.Healthcheck.Interval.Seconds() == 5},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("%s wrong: %+v", ch.name, c)
		}
	}
	h, err := e.svc.History(ctx, "imported:v1")
	if err != nil || len(h) != 1 || h[0].Comment != "from a tar" || h[0].ID != id.String() || h[0].Size < 1<<20 {
		t.Errorf("history = %+v, %v", h, err)
	}
}

func has(m map[string]struct{}, k string) bool { _, ok := m[k]; return ok }

func TestImportEntrypointResetsCmd(t *testing.T) {
	e := newEnv(t)
	rootfs := busybox(t, fixture.Options{}).Layers[0]
	id, err := e.svc.Import(context.Background(), bytes.NewReader(rootfs), ImportOptions{Changes: []string{"CMD a", "ENTRYPOINT b"}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.inspect(id.String()).Config
	if !slices.Equal(c.Cmd, []string{"/bin/sh", "-c", "a"}) || !slices.Equal(c.Entrypoint, []string{"/bin/sh", "-c", "b"}) {
		t.Errorf("CMD before ENTRYPOINT: %+v", c)
	}
	id, err = e.svc.Import(context.Background(), bytes.NewReader(rootfs), ImportOptions{Changes: []string{"ENTRYPOINT b"}})
	if err != nil {
		t.Fatal(err)
	}
	if c := e.inspect(id.String()).Config; c.Cmd != nil {
		t.Errorf("Cmd = %v", c.Cmd)
	}
}

func TestImportCompressedUntagged(t *testing.T) {
	e := newEnv(t)
	rootfs := busybox(t, fixture.Options{}).Layers[1]
	var zbuf bytes.Buffer
	zw, _ := zstd.NewWriter(&zbuf)
	zw.Write(rootfs)
	zw.Close()
	id, err := e.svc.Import(context.Background(), &zbuf, ImportOptions{Platform: "linux/arm64/v8"})
	if err != nil {
		t.Fatal(err)
	}
	in := e.inspect(id.Encoded()[:12])
	if len(in.RepoTags) != 0 || in.Architecture != "arm64" || in.Variant != "v8" {
		t.Errorf("inspect = %+v", in)
	}
	if l := e.list(ListOptions{Filters: map[string]map[string]bool{"dangling": {"true": true}}}); len(l) != 1 {
		t.Errorf("dangling list = %+v", l)
	}
}

func TestImportBadChanges(t *testing.T) {
	e := newEnv(t)
	rootfs := busybox(t, fixture.Options{}).Layers[1]
	ctx := context.Background()
	cases := []struct {
		opts ImportOptions
		msg  string
	}{
		{ImportOptions{Changes: []string{"RUN echo"}}, "RUN is not a valid change command"},
		{ImportOptions{Changes: []string{"FOO bar"}}, "FOO is not a valid change command"},
		{ImportOptions{Changes: []string{"ENV"}}, "ENV requires at least one argument"},
		{ImportOptions{Changes: []string{"LABEL"}}, "LABEL requires at least one argument"},
		{ImportOptions{Changes: []string{"ENV A"}}, "ENV must have two arguments"},
		{ImportOptions{Changes: []string{"CMD x", "HEALTHCHECK --interval=xyz CMD true"}}, `time: invalid duration "xyz"`},
		{ImportOptions{Changes: []string{"CMD ok", "EXPOSE abc"}}, "invalid containerPort: abc"},
		{ImportOptions{Changes: []string{"STOPSIGNAL NOPE"}}, "Invalid signal: NOPE"},
		{ImportOptions{Repo: "x@sha256:" + string(bytes.Repeat([]byte("a"), 64))}, "cannot import digest reference"},
		{ImportOptions{Repo: "X"}, "invalid reference format"},
		{ImportOptions{Platform: "windows"}, "operating system is not supported"},
	}
	for _, c := range cases {
		_, err := e.svc.Import(ctx, bytes.NewReader(rootfs), c.opts)
		wantErr(t, err, errInvalid, c.msg)
	}
	if e.svc.Count() != 0 || len(e.chainIDs()) != 0 {
		t.Errorf("bad imports left %d images, layers %v", e.svc.Count(), e.chainIDs())
	}
	_, err := e.svc.Import(ctx, bytes.NewReader(rootfs[:len(rootfs)/2]), ImportOptions{})
	if err == nil {
		t.Error("truncated import succeeded")
	}
	if e.svc.Count() != 0 || len(e.chainIDs()) != 0 {
		t.Errorf("truncated import left %d images, layers %v", e.svc.Count(), e.chainIDs())
	}
	e.assertNoTemp()
}
