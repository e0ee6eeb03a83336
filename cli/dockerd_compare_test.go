package cli

// Side-by-side tests against a real Docker engine: each case runs the
// docker CLI and berth (in process) with the same arguments against the
// engine named by BERTH_TEST_DOCKERD_HOST and compares standard output,
// standard error and exit status. They skip when the variable is unset,
// so CI does not need dockerd. The engine must run containers with
// "--network none" (Debian's dockerd with --bridge=none does).

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

const compareImage = "berth-cli-test/busybox:1"

// cliResult is what one command line did.
type cliResult struct {
	Code     int
	Out, Err string
}

func compareHost(t *testing.T) string {
	t.Helper()
	host := os.Getenv("BERTH_TEST_DOCKERD_HOST")
	if host == "" {
		t.Skip("set BERTH_TEST_DOCKERD_HOST (e.g. unix:///tmp/x/docker.sock) to compare with a real dockerd")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("the docker CLI is not on PATH")
	}
	return host
}

func runDockerCLI(t *testing.T, host, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", append([]string{"-H", host}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("docker %v: %v", args, err)
	}
	return cliResult{code, out.String(), errOut.String()}
}

func runBerthCLI(t *testing.T, host, stdin string, args ...string) cliResult {
	t.Helper()
	code, out, errOut := run(t, map[string]string{"BERTH_HOST": host}, stdin, args...)
	return cliResult{code, out, errOut}
}

var (
	longIDPattern  = regexp.MustCompile(`[0-9a-f]{64}`)
	shortIDPattern = regexp.MustCompile(`\b[0-9a-f]{12}\b`)
)

// normalizeOutput hides what differs between two runs: IDs, and the
// program's name.
func normalizeOutput(s string) string {
	s = longIDPattern.ReplaceAllString(s, "<ID>")
	s = shortIDPattern.ReplaceAllString(s, "<SHORT-ID>")
	return strings.NewReplacer("docker", "berth", "Docker", "Berth").Replace(s)
}

// ensureCompareImage imports a busybox image into the engine once.
func ensureCompareImage(t *testing.T, host string) {
	t.Helper()
	if r := runDockerCLI(t, host, "", "image", "inspect", "-f", "{{.Id}}", compareImage); r.Code == 0 {
		return
	}
	rootfs, err := busyboxRootfs()
	if err != nil {
		t.Skip("cannot build a busybox rootfs:", err)
	}
	cmd := exec.Command("docker", "-H", host, "import", "-c", `CMD ["sh"]`,
		"-c", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "-", compareImage)
	cmd.Stdin = bytes.NewReader(rootfs)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
}

// busyboxRootfs is a tar of /bin/busybox, its applets as symlinks, and an
// /etc/passwd with root and nobody.
func busyboxRootfs() ([]byte, error) {
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return nil, err
	}
	applets, err := exec.Command("/bin/busybox", "--list").Output()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mod := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, dir := range []string{"bin/", "etc/", "tmp/", "proc/", "sys/", "dev/"} {
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: mod})
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
		"etc/group":  "root:x:0:\nnogroup:x:65534:\n",
	}
	for name, content := range files {
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(content)), ModTime: mod})
		_, _ = io.WriteString(tw, content)
	}
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "bin/busybox", Mode: 0o755, Size: int64(len(bin)), ModTime: mod})
	_, _ = tw.Write(bin)
	for _, a := range strings.Fields(string(applets)) {
		if a != "busybox" {
			_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", ModTime: mod})
		}
	}
	return buf.Bytes(), tw.Close()
}

// compareStep is one command line of a scenario. {C} in args becomes the
// scenario's container name.
type compareStep struct {
	args  []string
	stdin string
	sleep time.Duration // after the step
}

func step(args ...string) compareStep { return compareStep{args: args} }

// runScenario runs steps with one tool and returns the normalized
// transcript.
func runScenario(t *testing.T, tool func(*testing.T, string, string, ...string) cliResult, host, name string, steps []compareStep) string {
	t.Helper()
	var b strings.Builder
	for _, s := range steps {
		args := make([]string, len(s.args))
		for i, a := range s.args {
			args[i] = strings.ReplaceAll(a, "{C}", name)
		}
		r := tool(t, host, s.stdin, args...)
		fmt.Fprintf(&b, "$ %s\n[stdout]\n%s[stderr]\n%s[exit %d]\n", strings.Join(s.args, " "), r.Out, r.Err, r.Code)
		time.Sleep(s.sleep)
	}
	return normalizeOutput(strings.ReplaceAll(b.String(), name, "{C}"))
}

// compareScenario runs the steps with docker, then with berth, on
// containers of their own, and fails on any difference.
func compareScenario(t *testing.T, steps []compareStep) {
	t.Helper()
	host := compareHost(t)
	ensureCompareImage(t, host)
	name := "berth-cli-cmp-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	cleanup := func() { runDockerCLI(t, host, "", "rm", "-f", name+"-docker", name+"-berth") }
	cleanup()
	t.Cleanup(cleanup)
	want := runScenario(t, runDockerCLI, host, name+"-docker", steps)
	got := runScenario(t, runBerthCLI, host, name+"-berth", steps)
	t.Logf("docker transcript:\n%s", want)
	if got != want {
		t.Errorf("berth differs from docker\n--- docker\n%s\n--- berth\n%s", want, got)
	}
}

func TestCompareRun(t *testing.T) {
	img := compareImage
	tests := map[string][]compareStep{
		"echo":          {step("run", "--rm", "--network", "none", img, "echo", "hello")},
		"exit code":     {step("run", "--rm", "--network", "none", img, "sh", "-c", "echo out; echo err >&2; exit 3")},
		"not found":     {step("run", "--rm", "--network", "none", img, "nonexist")},
		"not runnable":  {step("run", "--rm", "--network", "none", img, "/etc/passwd")},
		"stdin":         {{args: []string{"run", "-i", "--rm", "--network", "none", img, "sh", "-c", "cat; echo done"}, stdin: "a\nb\n"}},
		"env and user":  {step("run", "--rm", "--network", "none", "-e", "A=1", "-w", "/tmp", "-u", "nobody", img, "sh", "-c", "echo $A; pwd; id -u")},
		"entrypoint":    {step("run", "--rm", "--network", "none", "--entrypoint", "echo", img, "via", "entrypoint")},
		"no tty":        {step("run", "-it", "--rm", "--network", "none", img, "true")},
		"no image":      {step("run", "--rm", "--pull", "never", "--network", "none", "berth-cli-test/nothing:1", "true")},
		"bad pull":      {step("run", "--pull", "bogus", img)},
		"bad flag":      {step("run", "--cpus", "abc", img)},
		"conflict":      {step("run", "--rm", "--restart", "always", img)},
		"attach and -d": {step("run", "-d", "-a", "stdout", img)},
		"name in use": {
			step("create", "--name", "{C}", "--network", "none", img),
			step("run", "--name", "{C}", "--network", "none", img),
			step("create", "--name", "{C}", "--network", "none", img),
		},
	}
	for name, steps := range tests {
		t.Run(name, func(t *testing.T) { compareScenario(t, steps) })
	}
}

func TestCompareLifecycle(t *testing.T) {
	img := compareImage
	loop := "echo started; echo oops >&2; trap 'exit 0' TERM; while true; do sleep 0.1; done"
	compareScenario(t, []compareStep{
		{args: []string{"run", "-d", "--name", "{C}", "--network", "none", "-l", "k=v", img, "sh", "-c", loop}, sleep: time.Second},
		step("ps", "--filter", "name={C}", "--format", "{{.Names}} {{.Image}} {{.Command}} {{.State}} {{.Labels}}"),
		step("ps", "-a", "-q", "--filter", "name={C}", "--no-trunc"),
		step("inspect", "-f", "{{.Name}} {{.State.Running}} {{.Config.Cmd}}", "{C}"),
		step("container", "inspect", "--format", "{{json .Config.Labels}}", "{C}"),
		step("logs", "{C}"),
		step("logs", "--tail", "1", "--since", "10m", "{C}"),
		step("exec", "{C}", "sh", "-c", "echo in exec; exit 4"),
		{args: []string{"exec", "-i", "{C}", "sh", "-c", "cat; echo eof"}, stdin: "piped\n"},
		step("exec", "{C}", "nonexist"),
		step("exec", "-it", "{C}", "true"),
		step("pause", "{C}"),
		step("pause", "{C}"),
		step("ps", "--filter", "name={C}", "--format", "{{.State}}"),
		step("unpause", "{C}"),
		step("unpause", "{C}"),
		step("rename", "{C}", "{C}-renamed"),
		step("rename", "{C}-renamed", "{C}"),
		step("rename", "nonexistent-berth-cli", "x"),
		step("port", "{C}"),
		step("port", "{C}", "80"),
		step("rm", "{C}"),
		step("stop", "-t", "5", "{C}"),
		step("wait", "{C}"),
		step("stop", "{C}"),
		step("start", "{C}"),
		step("restart", "-t", "0", "{C}"),
		step("kill", "{C}"),
		step("kill", "{C}"),
		step("exec", "{C}", "true"),
		step("attach", "{C}"),
		step("rm", "{C}", "nonexistent-berth-cli"),
		step("rm", "-f", "nonexistent-berth-cli"),
		step("inspect", "{C}"),
		step("inspect", "--type", "container", img),
		step("inspect", "--type", "bogus", img),
	})
}

func TestCompareStartAttach(t *testing.T) {
	compareScenario(t, []compareStep{
		step("create", "--name", "{C}", "--network", "none", compareImage, "sh", "-c", "echo hi; echo err >&2; exit 5"),
		step("start", "-a", "{C}"),
		step("start", "-a", "{C}", "nonexistent-berth-cli"),
		step("start", "{C}", "nonexistent-berth-cli"),
		step("wait", "{C}"),
		step("logs", "{C}"),
	})
}

func TestCompareTopAndPrune(t *testing.T) {
	img := compareImage
	compareScenario(t, []compareStep{
		{args: []string{"run", "-d", "--name", "{C}", "--network", "none", img, "sleep", "1000"}, sleep: 500 * time.Millisecond},
		step("top", "{C}", "-o", "comm"),
		step("kill", "{C}"),
		step("wait", "{C}"),
		step("container", "prune", "-f", "--filter", "label=nonexistent-berth-cli"),
		step("rm", "{C}"),
	})
}

// TestCompareReadOnly runs read-only commands with both tools on the same
// containers; a command whose output has ages in it ("Up 2 seconds") is
// run again once if the second ticked over between the two.
func TestCompareReadOnly(t *testing.T) {
	host := compareHost(t)
	ensureCompareImage(t, host)
	prefix := "berth-cli-ro-"
	names := []string{prefix + "up", prefix + "created", prefix + "exited"}
	cleanup := func() { runDockerCLI(t, host, "", append([]string{"rm", "-f"}, names...)...) }
	cleanup()
	t.Cleanup(cleanup)
	for _, args := range [][]string{
		{"run", "-d", "--name", names[0], "--network", "none", "-l", "a=b", "-l", "c=d", compareImage, "sh", "-c", "echo hello world; echo err >&2; exec sleep 1000"},
		{"create", "--name", names[1], "--network", "none", "-v", "/data", compareImage, "echo", "a very long command line that is truncated"},
		{"run", "--name", names[2], "--network", "none", "-t", compareImage, "sh", "-c", "echo tty output"},
	} {
		if r := runDockerCLI(t, host, "", args...); r.Code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	time.Sleep(time.Second)
	filter := "name=" + prefix
	for _, args := range [][]string{
		{"ps", "--filter", filter},
		{"ps", "-a", "--filter", filter},
		{"ps", "-aq", "--filter", filter},
		{"ps", "-a", "--no-trunc", "--filter", filter},
		{"ps", "-a", "-s", "--filter", filter},
		{"ps", "-a", "--format", "json", "--filter", filter},
		{"ps", "-a", "--format", "raw", "--filter", filter},
		{"ps", "-a", "--format", "table {{.Names}}\t{{.Labels}}\t{{.Mounts}}\t{{.Networks}}", "--filter", filter},
		{"ps", "-a", "-q", "--format", "{{.Names}}", "--filter", filter},
		{"container", "ls", "-n", "2", "--filter", filter},
		{"inspect", names[0]},
		{"inspect", "--format", "json", names[0], compareImage},
		{"container", "inspect", "-s", "-f", "{{.Name}} {{.SizeRw}}", names[1]},
		{"inspect", "-f", "{{.Bogus}}", names[0]},
		{"logs", names[0]},
		{"logs", "-t", "--details", names[0]},
		{"logs", names[2]},
		{"top", names[0], "-o", "comm"},
		{"port", names[0]},
		{"wait", names[2]},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var want, got cliResult
			for range 2 {
				want, got = runDockerCLI(t, host, "", args...), runBerthCLI(t, host, "", args...)
				want.Out, want.Err = normalizeOutput(want.Out), normalizeOutput(want.Err)
				got.Out, got.Err = normalizeOutput(got.Out), normalizeOutput(got.Err)
				if got == want {
					return
				}
			}
			t.Errorf("docker: %+v\nberth:  %+v", want, got)
		})
	}
}
