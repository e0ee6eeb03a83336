package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// writeContext makes a build context directory from name -> content.
func writeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const multiStepDockerfile = `FROM bb:1
ENV GREETING=hello
WORKDIR /bapp
RUN echo built > /bapp/built.txt && echo "run output"
COPY . /bapp/
COPY sub/b.txt /bapp/copied-b.txt
LABEL purpose=test
EXPOSE 8080
CMD ["sh", "-c", "cat /bapp/built.txt /bapp/a.txt; ls /bapp; echo $GREETING; pwd"]
`

func TestBuildMultiStep(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			dir := writeContext(t, map[string]string{
				"Dockerfile":    strings.Replace(multiStepDockerfile, "run output", "run output "+c, 1),
				"a.txt":         "file a\n",
				"sub/b.txt":     "file b for " + c + "\n",
				"secret.key":    "do not copy\n",
				"logs/x.log":    "ignored\n",
				"logs/keep.log": "kept\n",
				".dockerignore": "secret.key\nlogs\n!logs/keep.log\n",
			})
			tag := "built-" + c + ":1"
			r := d.cli(c, "build", "-t", tag, dir)
			if r.Code != 0 {
				t.Fatalf("build: %s", r)
			}
			for _, want := range []string{"Step 1/9 : FROM bb:1", "Step 4/9 : RUN echo built", " ---> Running in ",
				"run output", "Removing intermediate container", "Successfully built ", "Successfully tagged " + tag} {
				if !strings.Contains(r.Stdout, want) {
					t.Errorf("build output lacks %q:\n%s", want, r.Stdout)
				}
			}
			out := must(t, d.cli(c, "run", "--rm", tag))
			want := "built\nfile a\nDockerfile\na.txt\nbuilt.txt\ncopied-b.txt\nlogs\nsub\nhello\n/bapp\n"
			if out != want {
				t.Errorf("run built image: got %q, want %q", out, want)
			}
			ls := must(t, d.cli(c, "run", "--rm", tag, "sh", "-c", "ls /bapp/logs; ls /bapp/secret.key 2>&1 || true"))
			if strings.TrimSpace(ls) != "keep.log\nls: /bapp/secret.key: No such file or directory" {
				t.Errorf(".dockerignore not honoured: %q", ls)
			}
			cfg := must(t, d.cli(c, "image", "inspect", "--format", "{{json .Config.Labels}} {{json .Config.ExposedPorts}} {{.Config.WorkingDir}} {{json .Config.Env}}", tag))
			if !strings.Contains(cfg, `{"purpose":"test"}`) || !strings.Contains(cfg, `"8080/tcp"`) || !strings.Contains(cfg, "/bapp") || !strings.Contains(cfg, "GREETING=hello") {
				t.Errorf("image config: %s", cfg)
			}
			hist := must(t, d.cli(c, "history", "--no-trunc", "--format", "{{.CreatedBy}}", tag))
			for _, want := range []string{`/bin/sh -c #(nop)  CMD ["sh" "-c"`, "/bin/sh -c #(nop)  ENV GREETING=hello", "/bin/sh -c echo built > /bapp/built.txt", "/bin/sh -c #(nop) COPY dir:"} {
				if !strings.Contains(hist, want) {
					t.Errorf("history lacks %q:\n%s", want, hist)
				}
			}

			// A rebuild takes every step from the cache.
			r = d.cli(c, "build", "-t", tag, dir)
			if r.Code != 0 || strings.Count(r.Stdout, " ---> Using cache") != 8 || strings.Contains(r.Stdout, "Running in") {
				t.Errorf("cached rebuild: %s", r)
			}
			// Changing a copied file rebuilds from that COPY on.
			if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("file a v2\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r = d.cli(c, "build", "-t", tag, dir)
			if r.Code != 0 || strings.Count(r.Stdout, " ---> Using cache") != 3 {
				t.Errorf("rebuild after a change: %s", r)
			}
			if out := must(t, d.cli(c, "run", "--rm", tag, "cat", "/bapp/a.txt")); out != "file a v2\n" {
				t.Errorf("changed file: %q", out)
			}
			if ps := must(t, d.cli(c, "ps", "-aq")); strings.TrimSpace(ps) != "" {
				t.Errorf("build left containers: %q", ps)
			}
		})
	}
}

func TestBuildFailingRun(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			dir := writeContext(t, map[string]string{"Dockerfile": "FROM bb:1\nRUN echo before-failing\nRUN echo oops; exit 3\nRUN echo never\n"})
			r := d.cli(c, "build", "-t", "failing-"+c, dir)
			if r.Code != 3 || !strings.Contains(r.Stderr+r.Stdout, "The command '/bin/sh -c echo oops; exit 3' returned a non-zero code: 3") ||
				!strings.Contains(r.Stdout, "oops") || strings.Contains(r.Stdout, "Step 4/4") {
				t.Errorf("failing build: %s", r)
			}
			if r := d.cli(c, "image", "inspect", "failing-"+c); r.Code == 0 {
				t.Errorf("a failed build tagged its image")
			}
			if ps := must(t, d.cli(c, "ps", "-aq")); strings.TrimSpace(ps) != "" {
				t.Errorf("failed build left containers: %q", ps)
			}
			// --rm=false keeps the intermediate containers, --force-rm wins over it.
			if r := d.cli(c, "build", "--rm=false", dir); r.Code != 3 {
				t.Fatalf("build --rm=false: %s", r)
			}
			if ps := lines(must(t, d.cli(c, "ps", "-aq"))); len(ps) != 1 {
				t.Errorf("--rm=false kept %d containers, want the failed RUN's", len(ps))
			}
			must(t, d.cli(c, "container", "prune", "-f"))
			if r := d.cli(c, "build", "--rm=false", "--force-rm", dir); r.Code != 3 {
				t.Fatalf("build --force-rm: %s", r)
			}
			if ps := must(t, d.cli(c, "ps", "-aq")); strings.TrimSpace(ps) != "" {
				t.Errorf("--force-rm left containers: %q", ps)
			}
		})
	}
}

func TestBuildSyntaxError(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			dir := writeContext(t, map[string]string{"Dockerfile": "FROM bb:1\nRUN echo fine\nFROBNICATE now\n"})
			r := d.cli(c, "build", dir)
			if r.Code == 0 || !strings.Contains(r.Stderr, "dockerfile parse error on line 3: unknown instruction: FROBNICATE") || strings.Contains(r.Stdout, "Step 1") {
				t.Errorf("syntax error: %s", r)
			}
		})
	}
}

func TestBuildMultiStage(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	df := `ARG BASE=bb:1
FROM ${BASE} AS maker
ARG WHO=nobody
RUN echo "made by $WHO" > /made.txt
FROM bb:1 AS unused
RUN exit 1
FROM scratch AS files
COPY --from=maker /made.txt /out/made.txt
FROM bb:1
COPY --from=files /out /copied
COPY --from=maker --chown=1000:1000 --chmod=600 /made.txt /owned.txt
CMD ["cat", "/copied/made.txt"]
`
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			dir := writeContext(t, map[string]string{"Dockerfile": df})
			tag := "stages-" + c
			r := d.cli(c, "build", "--build-arg", "WHO=tester", "-t", tag, dir)
			if r.Code != 0 {
				t.Fatalf("build: %s", r)
			}
			if out := must(t, d.cli(c, "run", "--rm", tag)); out != "made by tester\n" {
				t.Errorf("run: %q", out)
			}
			if out := must(t, d.cli(c, "run", "--rm", tag, "stat", "-c", "%u:%g %a", "/owned.txt")); out != "1000:1000 600\n" {
				t.Errorf("chown/chmod: %q", out)
			}
			r = d.cli(c, "build", "--target", "files", "-t", tag+"-files", dir)
			if r.Code != 0 || strings.Contains(r.Stdout, "FROM bb:1 AS unused") {
				t.Errorf("--target files: %s", r)
			}
			r = d.cli(c, "build", "--target", "nope", dir)
			if r.Code == 0 || !strings.Contains(r.Stderr, "failed to reach build target nope in Dockerfile") {
				t.Errorf("unknown target: %s", r)
			}
		})
	}
}

// buildTar posts a hand-made context tar to /build and returns the stream.
func buildTar(t *testing.T, d *daemon, entries []tar.Header, contents map[string]string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		h.Size = int64(len(contents[h.Name]))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(contents[h.Name])); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	req, _ := http.NewRequest(http.MethodPost, "http://berthd/build?t=escape-test", &buf)
	req.Header.Set("Content-Type", "application/x-tar")
	resp, err := unixClient(d.Socket).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBuildContextCannotEscape(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	secret := filepath.Join(t.TempDir(), "host-secret")
	if err := os.WriteFile(secret, []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A symlink out of the context is resolved inside it: COPY of it finds nothing.
	code, body := buildTar(t, d, []tar.Header{
		{Name: "Dockerfile", Mode: 0o644, Typeflag: tar.TypeReg},
		{Name: "link", Linkname: secret, Typeflag: tar.TypeSymlink},
		{Name: "dotdot", Linkname: "../../../../../../../../" + secret, Typeflag: tar.TypeSymlink},
	}, map[string]string{"Dockerfile": "FROM bb:1\nCOPY link /got-link\n"})
	if code != http.StatusOK || !strings.Contains(body, "file not found in build context") {
		t.Errorf("COPY of a symlink leaving the context: %d %s", code, body)
	}
	code, body = buildTar(t, d, []tar.Header{
		{Name: "Dockerfile", Mode: 0o644, Typeflag: tar.TypeReg},
		{Name: "dotdot", Linkname: "../../../../../../../../" + secret, Typeflag: tar.TypeSymlink},
	}, map[string]string{"Dockerfile": "FROM bb:1\nCOPY dotdot /got\n"})
	if code != http.StatusOK || !strings.Contains(body, "file not found in build context") {
		t.Errorf("COPY of a ../ symlink: %d %s", code, body)
	}
	// A ../ source is refused.
	code, body = buildTar(t, d, []tar.Header{{Name: "Dockerfile", Mode: 0o644, Typeflag: tar.TypeReg}},
		map[string]string{"Dockerfile": "FROM bb:1\nCOPY ../../../../../../" + secret + " /got\n"})
	if strings.Contains(body, "Successfully built") {
		t.Errorf("COPY ../ built: %d %s", code, body)
	}
	// A ../ entry in the tar is refused before any step.
	code, body = buildTar(t, d, []tar.Header{
		{Name: "Dockerfile", Mode: 0o644, Typeflag: tar.TypeReg},
		{Name: "../../escaped", Mode: 0o644, Typeflag: tar.TypeReg},
	}, map[string]string{"Dockerfile": "FROM bb:1\n"})
	if code != http.StatusBadRequest || !strings.Contains(body, "outside of the build context") {
		t.Errorf("../ entry: %d %s", code, body)
	}
	if _, err := os.Stat(filepath.Join(d.DataRoot, "escaped")); err == nil {
		t.Errorf("a ../ entry was written outside the context")
	}
	var msg struct{ Message string }
	_ = json.Unmarshal([]byte(body), &msg)
}

func TestBuildInstructions(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	var tgz bytes.Buffer
	tw := tar.NewWriter(&tgz)
	tw.WriteHeader(&tar.Header{Name: "inner/x.txt", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("x\n"))
	tw.Close()
	base := `FROM bb:1
ONBUILD RUN echo "trigger ran" > /trigger.txt
`
	df := `FROM onbuild-base
ARG VERSION=1.0
ENV APP_VERSION=$VERSION
SHELL ["/bin/sh", "-c"]
RUN adduser -D -u 1234 app 2>/dev/null || echo "app:x:1234:1234::/home/app:/bin/sh" >> /etc/passwd
ADD files.tar /unpacked/
ADD --chown=app plain.txt /plain/
USER app
VOLUME /data
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=5s --retries=2 CMD true
ENTRYPOINT ["sh", "-c"]
CMD ["cat /trigger.txt /unpacked/inner/x.txt; id -u; stat -c %U /plain/plain.txt; echo $APP_VERSION"]
`
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			must(t, d.cliIn(c, []byte(base), "build", "-t", "onbuild-base", "-"))
			dir := writeContext(t, map[string]string{"Dockerfile": df, "plain.txt": "plain " + c + "\n", "files.tar": tgz.String()})
			tag := "instr-" + c
			r := d.cli(c, "build", "--build-arg", "VERSION=2.0", "--label", "via=flag", "-t", tag, dir)
			if r.Code != 0 || !strings.Contains(r.Stdout, "# Executing 1 build trigger") {
				t.Fatalf("build: %s", r)
			}
			out := must(t, d.cli(c, "run", "--rm", tag))
			if out != "trigger ran\nx\n1234\napp\n2.0\n" {
				t.Errorf("run: %q", out)
			}
			cfg := must(t, d.cli(c, "image", "inspect", "--format",
				"{{.Config.User}}|{{json .Config.Volumes}}|{{.Config.StopSignal}}|{{json .Config.Healthcheck.Test}}|{{json .Config.Entrypoint}}|{{.Config.Labels.via}}|{{len .Config.OnBuild}}", tag))
			if strings.TrimSpace(cfg) != `app|{"/data":{}}|SIGUSR1|["CMD-SHELL","true"]|["sh","-c"]|flag|0` {
				t.Errorf("config: %s", cfg)
			}
			// -q prints only the ID; --no-cache runs every step again.
			r = d.cli(c, "build", "-q", "--build-arg", "VERSION=2.0", "--label", "via=flag", dir)
			if r.Code != 0 || !strings.HasPrefix(strings.TrimSpace(r.Stdout), "sha256:") || len(lines(r.Stdout)) != 1 {
				t.Errorf("build -q: %s", r)
			}
			r = d.cli(c, "build", "--no-cache", "--build-arg", "VERSION=2.0", dir)
			if r.Code != 0 || strings.Contains(r.Stdout, "Using cache") {
				t.Errorf("build --no-cache: %s", r)
			}
		})
	}
}

func TestBuildCacheSurvivesRestart(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM bb:1\nRUN echo once > /f\nCOPY a /a\n", "a": "a\n"})
	must(t, d.docker("build", "-t", "persist", dir))
	d.stop()
	d.start()
	r := d.docker("build", "-t", "persist", dir)
	if r.Code != 0 || strings.Count(r.Stdout, "Using cache") != 2 {
		t.Errorf("rebuild after restart: %s", r)
	}
}

func TestBuildBadInput(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	cases := []struct{ df, want string }{
		{"FROM bb:1\nCOPY missing.txt /x\n", "file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist"},
		{"FROM bb:1\nCOPY ../a /x\n", "forbidden path outside the build context: ../a"},
		{"FROM bb:1\nADD ../../etc/passwd /x\n", "forbidden path outside the build context: ../../etc/passwd"},
		{"FROM bb:1\nCOPY --from=nostage /x /y\n", "invalid from flag value nostage"},
		{"FROM bb:1\nADD http://127.0.0.1:1/file.txt /x\n", "failed to GET http://127.0.0.1:1/file.txt"},
		{"FROM bb:1\nCOPY a b /notadir\n", "When using COPY with more than one source file, the destination must be a directory and end with a /"},
		{"FROM bb:1\nRUN --mount=type=cache,target=/x true\n", "is not supported by Berth yet"},
	}
	for _, c := range clients {
		for _, tc := range cases {
			dir := writeContext(t, map[string]string{"Dockerfile": tc.df, "a": "a", "b": "b"})
			r := d.cli(c, "build", "-t", "bad-input", dir)
			if r.Code == 0 || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("%s %q: %s", c, tc.df, r)
			}
		}
		if ps := must(t, d.cli(c, "ps", "-aq")); strings.TrimSpace(ps) != "" {
			t.Errorf("bad builds left containers: %q", ps)
		}
		if r := d.cli(c, "image", "inspect", "bad-input"); r.Code == 0 {
			t.Errorf("a failed build tagged its image")
		}
	}
}

// BenchmarkBuild measures, per engine, through `DOCKER_BUILDKIT=0 docker
// build`: a cold build (--no-cache) of a 10-step Dockerfile and a fully
// cached rebuild of it.
func BenchmarkBuild(b *testing.B) {
	hosts := engines(b)
	img := benchImage(b, hosts)
	dir := b.TempDir()
	files := map[string]string{
		"Dockerfile": "FROM " + img + "\nENV A=1\nWORKDIR /w\nRUN echo one > one\nRUN echo two > two\nCOPY a.txt .\n" +
			"RUN cat a.txt one two > all\nCOPY sub /sub\nLABEL bench=yes\nCMD [\"cat\", \"all\"]\n",
		"a.txt": "a\n", "sub/b.txt": "b\n",
	}
	for name, content := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	// Two independent stages of 5 s each.
	pdir := b.TempDir()
	pdf := strings.ReplaceAll(strings.ReplaceAll(parallelStagesDockerfile, "sleep 1", "sleep 5"), "bb:1", img)
	os.WriteFile(filepath.Join(pdir, "Dockerfile"), []byte(pdf), 0o644)
	for name, host := range hosts {
		b.Run(name, func(b *testing.B) {
			build := func(args ...string) {
				args = append([]string{"build", "--network", "none", "-t", "bench-build"}, append(args, dir)...)
				if r := runCLI(b, "docker", host, nil, nil, args...); r.Code != 0 {
					b.Fatalf("build: %s", r)
				}
			}
			var cold, cached, parallel time.Duration
			for range b.N {
				start := time.Now()
				build("--no-cache")
				cold += time.Since(start)
				start = time.Now()
				build()
				cached += time.Since(start)
				start = time.Now()
				if r := runCLI(b, "docker", host, nil, nil, "build", "--no-cache", "--network", "none", pdir); r.Code != 0 {
					b.Fatalf("parallel build: %s", r)
				}
				parallel += time.Since(start)
			}
			b.ReportMetric(float64(parallel.Milliseconds())/float64(b.N), "two-5s-stages-ms")
			b.ReportMetric(float64(cold.Milliseconds())/float64(b.N), "cold-ms")
			b.ReportMetric(float64(cached.Milliseconds())/float64(b.N), "cached-ms")
		})
	}
}

const parallelStagesDockerfile = `FROM bb:1 AS one
RUN sleep 1 && echo one > /one
FROM bb:1 AS two
RUN sleep 1 && echo two > /two
FROM bb:1
COPY --from=one /one /one
COPY --from=two /two /two
CMD ["cat", "/one", "/two"]
`

// Independent stages run at the same time; the stream stays in
// Dockerfile order.
func TestBuildParallelStages(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	dir := writeContext(t, map[string]string{"Dockerfile": parallelStagesDockerfile})
	r := d.docker("build", "-t", "parallel", dir)
	if r.Code != 0 {
		t.Fatalf("build: %s", r)
	}
	var steps []string
	for _, l := range lines(r.Stdout) {
		if strings.HasPrefix(l, "Step ") {
			steps = append(steps, strings.SplitN(l, " :", 2)[0])
		}
	}
	want := []string{"Step 1/8", "Step 2/8", "Step 3/8", "Step 4/8", "Step 5/8", "Step 6/8", "Step 7/8", "Step 8/8"}
	if strings.Join(steps, ",") != strings.Join(want, ",") {
		t.Errorf("steps out of order: %v\n%s", steps, r.Stdout)
	}
	if out := must(t, d.docker("run", "--rm", "parallel")); out != "one\ntwo\n" {
		t.Errorf("run: %q", out)
	}
}

// startSlowBuild posts a build whose RUN sleeps, and returns once the RUN
// container has started; cancel drops the client.
func startSlowBuild(t *testing.T, d *daemon, query string) (stream *json.Decoder, cancel func()) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	df := "FROM bb:1\nRUN echo started; sleep 60\n"
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(df)), Typeflag: tar.TypeReg})
	tw.Write([]byte(df))
	tw.Close()
	ctx, cancelCtx := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://berthd/build?"+query, &buf)
	resp, err := unixClient(d.Socket).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(resp.Body)
	for {
		var m struct{ Stream string }
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("stream ended before the RUN started: %v", err)
		}
		if m.Stream == "started\n" {
			break
		}
	}
	if ps := must(t, d.docker("ps", "-q")); len(lines(ps)) != 1 {
		t.Fatalf("RUN container not running: %q", ps)
	}
	return dec, func() { cancelCtx(); resp.Body.Close() }
}

// A client that goes away mid-build stops it: the RUN container is
// killed and removed, nothing is tagged. So does /build/cancel, and so
// does a daemon shutdown (which must leave no mount behind).
func TestBuildCancelled(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	_, cancel := startSlowBuild(t, d, "t=cancelled")
	cancel()
	waitFor(t, func() bool { return strings.TrimSpace(must(t, d.docker("ps", "-aq"))) == "" })
	if r := d.docker("image", "inspect", "cancelled"); r.Code == 0 {
		t.Errorf("a cancelled build tagged its image")
	}

	stream, cancel := startSlowBuild(t, d, "t=cancelled&buildid=b1")
	defer cancel()
	if code, body := d.api(t, http.MethodPost, "/build/cancel?id=b1"); code != http.StatusOK {
		t.Fatalf("cancel: %d %s", code, body)
	}
	for {
		var m struct{ Error string }
		if err := stream.Decode(&m); err != nil {
			break
		}
	}
	waitFor(t, func() bool { return strings.TrimSpace(must(t, d.docker("ps", "-aq"))) == "" })
	if code, _ := d.api(t, http.MethodPost, "/build/cancel?id=b1"); code != http.StatusNotFound {
		t.Errorf("cancel of a finished build: %d", code)
	}

	_, cancel = startSlowBuild(t, d, "t=cancelled")
	defer cancel()
	d.stop() // fails the test on an unclean exit or a leftover mount
	d.start()
	if ps := must(t, d.docker("ps", "-aq")); strings.TrimSpace(ps) != "" {
		t.Errorf("shutdown mid-build left containers: %q", ps)
	}
}

// -f names a Dockerfile in a subdirectory, outside the context, or on stdin.
func TestBuildDockerfileFlag(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	dir := writeContext(t, map[string]string{"ctx/a.txt": "a\n", "ctx/sub/Dockerfile.dev": "FROM bb:1\nCOPY a.txt /from-sub\n",
		"outside.Dockerfile": "FROM bb:1\nCOPY a.txt /from-outside\n"})
	ctx := filepath.Join(dir, "ctx")
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			must(t, d.cli(c, "build", "-f", filepath.Join(ctx, "sub", "Dockerfile.dev"), "-t", "f-sub-"+c, ctx))
			must(t, d.cli(c, "run", "--rm", "f-sub-"+c, "cat", "/from-sub"))
			must(t, d.cli(c, "build", "-f", filepath.Join(dir, "outside.Dockerfile"), "-t", "f-out-"+c, ctx))
			must(t, d.cli(c, "run", "--rm", "f-out-"+c, "cat", "/from-outside"))
			must(t, d.cliIn(c, []byte("FROM bb:1\nCOPY a.txt /from-stdin\n"), "build", "-f", "-", "-t", "f-in-"+c, ctx))
			if out := must(t, d.cli(c, "run", "--rm", "f-in-"+c, "cat", "/from-stdin")); out != "a\n" {
				t.Errorf("Dockerfile from stdin: %q", out)
			}
		})
	}
}

func TestBuildHeredocs(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	df := `FROM bb:1
ARG NAME=world
RUN <<EOF
echo "first line"
echo "hello $NAME" > /greeting
EOF
RUN cat <<EOT > /written
inline document
EOT
COPY <<EOF /etc/config.txt
name=${NAME}
EOF
COPY <<"RAW" /raw/
keep ${NAME}
RAW
`
	dir := writeContext(t, map[string]string{"Dockerfile": df})
	r := d.docker("build", "--build-arg", "NAME=berth", "-t", "heredocs", dir)
	if r.Code != 0 || !strings.Contains(r.Stdout, "first line") {
		t.Fatalf("build: %s", r)
	}
	out := must(t, d.docker("run", "--rm", "heredocs", "cat", "/greeting", "/written", "/etc/config.txt", "/raw/RAW"))
	if out != "hello berth\ninline document\nname=berth\nkeep ${NAME}\n" {
		t.Errorf("heredoc results: %q", out)
	}
}

// FROM an image that is not in the store pulls it (with the pull's
// progress in the stream); --pull pulls even when present.
func TestBuildPullsBaseImage(t *testing.T) {
	reg := startRegistry(t, false)
	d := startDaemon(t)
	busybox(t, d)
	ref := reg.Host + "/base:1"
	must(t, d.docker("tag", "bb:1", ref))
	must(t, d.docker("push", ref))
	must(t, d.docker("rmi", ref))
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM " + ref + "\nRUN echo pulled > /p\n"})
	r := d.docker("build", "-t", "from-pulled", dir)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Pulling from base") {
		t.Fatalf("build with a pull: %s", r)
	}
	if out := must(t, d.docker("run", "--rm", "from-pulled", "cat", "/p")); out != "pulled\n" {
		t.Errorf("run: %q", out)
	}
	r = d.docker("build", "--pull", "-t", "from-pulled", dir)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Pulling from base") {
		t.Errorf("build --pull: %s", r)
	}
}

// `docker builder prune` forgets the cache: the next build runs every step.
func TestBuildPrune(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM bb:1\nRUN echo x > /x\n"})
	must(t, d.docker("build", dir))
	r := d.docker("builder", "prune", "-f")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Total reclaimed space") {
		t.Fatalf("builder prune: %s", r)
	}
	if r := d.docker("build", dir); r.Code != 0 || strings.Contains(r.Stdout, "Using cache") {
		t.Errorf("build after prune: %s", r)
	}
	if r := d.docker("system", "prune", "-f"); r.Code != 0 {
		t.Errorf("system prune: %s", r)
	}
}

// --cache-from: an image saved, removed and loaded again (so without the
// intermediate images the local cache names) stands for the steps it was
// built with; without --cache-from nothing is cached.
func TestBuildCacheFrom(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			dir := writeContext(t, map[string]string{"a": "a\n",
				"Dockerfile": "FROM bb:1\nENV WHO=" + c + "\nRUN echo ran > /x\nCOPY a /a\nCMD [\"cat\", \"/x\", \"/a\"]\n"})
			src := "cf-src-" + c + ":1"
			must(t, d.cli(c, "build", "-t", src, dir))
			id := strings.TrimSpace(must(t, d.cli(c, "image", "inspect", "--format", "{{.ID}}", src)))
			archive := filepath.Join(t.TempDir(), "src.tar")
			must(t, d.cli(c, "save", "-o", archive, src))
			must(t, d.cli(c, "rmi", src))
			must(t, d.cli(c, "load", "-i", archive))

			r := d.cli(c, "build", "-t", "cf-plain-"+c, dir)
			if r.Code != 0 || strings.Contains(r.Stdout, "Using cache") || !strings.Contains(r.Stdout, "Running in") {
				t.Errorf("build without --cache-from: %s", r)
			}
			must(t, d.cli(c, "rmi", "cf-plain-"+c))

			r = d.cli(c, "build", "--cache-from", src, "-t", "cf-cached-"+c, dir)
			if r.Code != 0 || strings.Count(r.Stdout, " ---> Using cache") != 4 || strings.Contains(r.Stdout, "Running in") {
				t.Errorf("build with --cache-from: %s", r)
			}
			if got := strings.TrimSpace(must(t, d.cli(c, "image", "inspect", "--format", "{{.ID}}", "cf-cached-"+c))); got != id {
				t.Errorf("--cache-from build made %s, want the loaded image %s", got, id)
			}
			if out := must(t, d.cli(c, "run", "--rm", "cf-cached-"+c)); out != "ran\na\n" {
				t.Errorf("run: %q", out)
			}
			// A changed step and the ones after it run; the steps before come from the source.
			if err := os.WriteFile(filepath.Join(dir, "a"), []byte("a2\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			must(t, d.cli(c, "builder", "prune", "-f"))
			r = d.cli(c, "build", "--cache-from", src, "-t", "cf-changed-"+c, dir)
			if r.Code != 0 || strings.Count(r.Stdout, " ---> Using cache") != 2 {
				t.Errorf("build with --cache-from after a change: %s", r)
			}
			if out := must(t, d.cli(c, "run", "--rm", "cf-changed-"+c)); out != "ran\na2\n" {
				t.Errorf("run changed: %q", out)
			}
			// --no-cache wins; a --cache-from name that is not an image is skipped.
			r = d.cli(c, "build", "--no-cache", "--cache-from", src, "--cache-from", "no-such-image:1", dir)
			if r.Code != 0 || strings.Contains(r.Stdout, "Using cache") {
				t.Errorf("build --no-cache --cache-from: %s", r)
			}
		})
	}
}

// ADD extracts local tars compressed with gzip, bzip2 and xz, as Docker.
func TestBuildAddCompressedTars(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	dir := writeContext(t, map[string]string{"src/inside.txt": "inside\n"})
	for _, z := range []struct{ flag, ext string }{{"-z", "gz"}, {"-j", "bz2"}, {"-J", "xz"}} {
		out, err := exec.Command("tar", "-C", filepath.Join(dir, "src"), z.flag, "-cf", filepath.Join(dir, "a.tar."+z.ext), "inside.txt").CombinedOutput()
		if err != nil {
			t.Fatalf("tar %s: %v %s", z.flag, err, out)
		}
	}
	df := "FROM bb:1\nADD a.tar.gz /gz/\nADD a.tar.bz2 /bz2/\nADD a.tar.xz /xz/\nCOPY a.tar.xz /copied/\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			must(t, d.cli(c, "build", "-t", "add-tars-"+c, dir))
			out := must(t, d.cli(c, "run", "--rm", "add-tars-"+c, "sh", "-c", "cat /gz/inside.txt /bz2/inside.txt /xz/inside.txt; ls /copied"))
			if out != "inside\ninside\ninside\na.tar.xz\n" {
				t.Errorf("extracted: %q", out)
			}
		})
	}
}

// The classic builder's cache is images: system df reports no build cache
// records, as dockerd 20.10 after DOCKER_BUILDKIT=0 builds.
func TestBuildSystemDf(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM bb:1\nRUN echo x > /x\n"})
	must(t, d.docker("build", dir))
	code, body := d.api(t, http.MethodGet, "/system/df")
	var du struct{ BuildCache []json.RawMessage }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &du) != nil || len(du.BuildCache) != 0 {
		t.Errorf("system df: %d %s", code, body)
	}
	for _, c := range clients {
		out := must(t, d.cli(c, "system", "df"))
		if !regexp.MustCompile(`Build Cache\s+0\s+0\s+0B\s+0B`).MatchString(out) {
			t.Errorf("%s system df: %s", c, out)
		}
	}
	code, body = d.api(t, http.MethodPost, "/build/prune")
	if code != http.StatusOK || strings.TrimSpace(body) != `{"CachesDeleted":null,"SpaceReclaimed":0}` {
		t.Errorf("build prune: %d %s", code, body)
	}
	for _, c := range clients {
		if r := d.cli(c, "builder", "prune", "-f"); r.Code != 0 || !strings.Contains(r.Stdout, "Total reclaimed space: 0B") {
			t.Errorf("%s builder prune: %s", c, r)
		}
	}
}

// TestBuildManyLayers: an image of more layers than mount(2)'s option page
// holds (~40 with Berth's paths) still runs: the overlay is mounted layer by
// layer.
func TestBuildManyLayers(t *testing.T) {
	d := startDaemon(t)
	busybox(t, d)
	const n = 70
	files := map[string]string{}
	dockerfile := "FROM bb:1\n"
	for i := range n {
		files[fmt.Sprintf("f%d", i)] = fmt.Sprint(i)
		dockerfile += fmt.Sprintf("COPY f%d /f%d\n", i, i)
	}
	files["Dockerfile"] = dockerfile
	must(t, d.berth("build", "-q", "-t", "deep", writeContext(t, files)))
	if layers := strings.TrimSpace(must(t, d.docker("image", "inspect", "--format", "{{len .RootFS.Layers}}", "deep"))); atoi(t, layers) <= n {
		t.Fatalf("deep image has %s layers", layers)
	}
	if out := must(t, d.docker("run", "--rm", "deep", "cat", "/f0", "/f69")); out != "069" {
		t.Errorf("run of a %d-layer image: %q", n, out)
	}
}
