package shim_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth/berth/runtime/shim"
	"github.com/berth/berth/test/testenv"
)

// shimBinary is built once by TestMain.
var shimBinary string

const cgroupParent = "berth-shim-test"

// launcherEnv makes the test binary a stand-in for berthd that launches a
// shim and is then killed (see TestDaemonCrash).
const launcherEnv = "BERTH_SHIM_TEST_LAUNCHER"

func TestMain(m *testing.M) {
	if os.Getenv(launcherEnv) != "" {
		launcherMain()
		return
	}
	var binDir string
	if os.Geteuid() == 0 {
		var err error
		if binDir, err = os.MkdirTemp("", "berth-shim-bin-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		shimBinary = filepath.Join(binDir, "berth-shim")
		args := []string{"build", "-o", shimBinary}
		if raceBuild {
			args = append(args, "-race")
			// The shim's stderr is /dev/null: race reports go to files.
			os.Setenv("GORACE", "log_path="+filepath.Join(binDir, "race"))
		}
		if out, err := exec.Command("go", append(args, "github.com/berth/berth/cmd/berth-shim")...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building the shim: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	if binDir != "" {
		if reports, _ := filepath.Glob(filepath.Join(binDir, "race.*")); len(reports) > 0 {
			for _, r := range reports {
				b, _ := os.ReadFile(r)
				fmt.Fprintf(os.Stderr, "race in the shim (%s):\n%s\n", r, b)
			}
			code = 1
		}
		os.RemoveAll(binDir)
		removeCgroups(cgroupParent)
	}
	os.Exit(code)
}

// config is what a test container differs in.
type config struct {
	args                      []string
	tty, openStdin, stdinOnce bool
	logDriver                 string // "" is json-file
	maxSize                   int64
	maxFiles                  int
	memory                    int64 // limit in bytes
}

// testContainer is a bundle of busybox in a temp dir, which is also the
// shim's state dir, as berthd makes them.
type testContainer struct {
	t         *testing.T
	id        string
	dir       string
	logDriver string
	opts      shim.Options
}

func newContainer(t *testing.T, cfg config) *testContainer {
	t.Helper()
	testenv.RequireRoot(t)
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs busybox-static")
	}
	t.Parallel()
	c := &testContainer{t: t, id: randomID(), dir: t.TempDir(), logDriver: cfg.logDriver}
	if c.logDriver == "" {
		c.logDriver = "json-file"
	}
	makeRootfs(t, filepath.Join(c.dir, "rootfs"))
	writeSpec(t, c.dir, c.id, cfg)
	c.opts = shim.Options{
		Runtime: "/usr/bin/runc", RuntimeRoot: filepath.Join(c.dir, "runc"), Bundle: c.dir,
		Tty: cfg.tty, OpenStdin: cfg.openStdin, StdinOnce: cfg.stdinOnce,
		Log:      shim.LogOptions{Driver: c.logDriver, Path: c.logPath(), MaxSize: cfg.maxSize, MaxFiles: cfg.maxFiles},
		ExitFile: filepath.Join(c.dir, "exit.json"), CgroupPath: "/" + cgroupParent + "/" + c.id, // as berthd passes it
	}
	t.Cleanup(c.checkLeaks)
	return c
}

// logPath is where the container's log is, as berthd puts it.
func (c *testContainer) logPath() string {
	if c.logDriver == "local" {
		return filepath.Join(c.dir, "local-logs", "container.log")
	}
	return filepath.Join(c.dir, "ctr-json.log")
}

func (c *testContainer) launch() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return shim.Launch(ctx, shimBinary, c.id, c.dir, c.opts)
}

// create launches the shim and connects to it.
func (c *testContainer) create() *shim.Client {
	c.t.Helper()
	if err := c.launch(); err != nil {
		c.t.Fatal(err)
	}
	client, err := shim.Connect(c.dir)
	if err != nil {
		c.t.Fatal(err)
	}
	return client
}

// run creates and starts the container.
func (c *testContainer) run() *shim.Client {
	c.t.Helper()
	client := c.create()
	if err := client.Start(ctx(c.t)); err != nil {
		c.t.Fatal(err)
	}
	return client
}

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func randomID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// makeRootfs puts busybox and its applets in dir.
func makeRootfs(t *testing.T, dir string) {
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, applet := range []string{"sh", "echo", "cat", "sleep", "stty", "seq", "true", "false", "yes", "head", "awk"} {
		if err := os.Symlink("busybox", filepath.Join(bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
}

// writeSpec writes config.json: runc's default spec with the test's
// process and a cgroup of its own.
func writeSpec(t *testing.T, dir, id string, cfg config) {
	if out, err := exec.Command("runc", "spec", "--bundle", dir).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v: %s", err, out)
	}
	path := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	process := spec["process"].(map[string]any)
	process["args"] = cfg.args
	process["terminal"] = cfg.tty
	process["env"] = []string{"PATH=/bin", "TERM=xterm"}
	linux := spec["linux"].(map[string]any)
	linux["cgroupsPath"] = "/" + cgroupParent + "/" + id
	if cfg.memory > 0 {
		linux["resources"].(map[string]any)["memory"] = map[string]int64{"limit": cfg.memory, "swap": cfg.memory}
	}
	if b, err = json.Marshal(spec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkLeaks fails the test if the shim, the runtime's state, a mount or
// a cgroup outlived the container; it cleans up what it finds.
func (c *testContainer) checkLeaks() {
	t := c.t
	if pid := waitShimGone(c.id, 5*time.Second); pid != 0 {
		t.Errorf("shim %d still running", pid)
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if _, err := os.Stat(filepath.Join(c.opts.RuntimeRoot, c.id)); err == nil {
		t.Errorf("runtime state of %s left behind", c.id)
		exec.Command("runc", "--root", c.opts.RuntimeRoot, "delete", "--force", c.id).Run()
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(b), c.dir) {
		t.Errorf("mounts under %s left behind", c.dir)
	}
	if removeCgroups(cgroupParent+"/"+c.id) > 0 {
		t.Errorf("cgroups of %s left behind", c.id)
	}
}

// shimPid finds the shim serving id by its command line (0: none).
func shimPid(id string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if !strings.Contains(string(cmdline), "berth-shim\x00-id\x00"+id) {
			continue
		}
		if stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); strings.Contains(string(stat), ") Z ") {
			continue
		}
		return pid
	}
	return 0
}

func waitShimGone(id string, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		pid := shimPid(id)
		if pid == 0 || time.Now().After(deadline) {
			return pid
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// removeCgroups removes the cgroup dir rel in every hierarchy, returning
// how many existed.
func removeCgroups(rel string) int {
	n := 0
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, root := range roots {
		dir := filepath.Join(root, rel)
		if _, err := os.Stat(dir); err == nil {
			n++
			os.Remove(dir)
		}
	}
	return n
}

// readFrames reads a framed stream to its end.
func readFrames(t *testing.T, r io.Reader) (stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	br := bufio.NewReader(r)
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err != io.EOF {
				t.Fatalf("reading a frame header: %v", err)
			}
			return out.String(), errOut.String()
		}
		if hdr[1] != 0 || hdr[2] != 0 || hdr[3] != 0 {
			t.Fatalf("bad frame header %v", hdr)
		}
		payload := make([]byte, binary.BigEndian.Uint32(hdr[4:]))
		if _, err := io.ReadFull(br, payload); err != nil {
			t.Fatalf("reading a frame: %v", err)
		}
		switch hdr[0] {
		case 1:
			out.Write(payload)
		case 2:
			errOut.Write(payload)
		default:
			t.Fatalf("bad stream %d", hdr[0])
		}
	}
}

// waitOutput reads conn until what it read ends with want.
func waitOutput(t *testing.T, conn net.Conn, want string) {
	t.Helper()
	var got []byte
	buf := make([]byte, 512)
	for !strings.HasSuffix(string(got), want) {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("output %q, waiting for %q: %v", got, want, err)
		}
	}
}

func readAllConn(t *testing.T, conn net.Conn) string {
	t.Helper()
	b, err := io.ReadAll(conn)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatal(err)
	}
	return string(b)
}

// launcher is the stand-in berthd of TestDaemonCrash: it launches and
// starts the container, says so, and waits to be killed.
type launcher struct {
	Binary, ID, Dir string
	Opts            shim.Options
}

func launcherMain() {
	var l launcher
	if err := json.Unmarshal([]byte(os.Getenv(launcherEnv)), &l); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	if err := shim.Launch(ctx, l.Binary, l.ID, l.Dir, l.Opts); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	c, err := shim.Connect(l.Dir)
	if err == nil {
		err = c.Start(ctx)
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	st, _ := c.State(ctx)
	fmt.Println("started", st.ShimPid)
	select {}
}
