package shim_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth/berth/logs"
	"github.com/berth/berth/runtime/shim"
	"github.com/containerd/errdefs"
)

// readLog returns the container's log as "stream: text" lines.
func readLog(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for m, err := range logs.Read(context.Background(), path, logs.ReadOptions{Stdout: true, Stderr: true, Tail: -1}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Stream+": "+string(m.Line))
	}
	return out
}

func TestOutputReachesLogAndAttach(t *testing.T) {
	c := newContainer(t, config{args: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}})
	client := c.create()
	conn, err := client.Attach(ctx(t), false, true, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := readFrames(t, conn)
	if stdout != "out\n" || stderr != "err\n" {
		t.Errorf("attached: stdout %q, stderr %q", stdout, stderr)
	}
	exit, err := client.Wait(ctx(t))
	if err != nil || exit.ExitCode != 3 || exit.ExitedAt.IsZero() {
		t.Fatalf("wait: %+v, %v", exit, err)
	}
	got := readLog(t, c.logPath())
	slices.Sort(got) // the streams are copied independently
	if want := []string{"stderr: err\n", "stdout: out\n"}; !slices.Equal(got, want) {
		t.Errorf("log %q, want %q", got, want)
	}
	b, _ := os.ReadFile(c.opts.ExitFile)
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil || raw["exitCode"] != 3.0 || raw["oomKilled"] != false {
		t.Errorf("exit file %s", b)
	}
	if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(raw["exitedAt"])); err != nil {
		t.Errorf("exit file time: %v", err)
	}
}

func TestKillExitCode(t *testing.T) {
	c := newContainer(t, config{args: []string{"sleep", "100"}})
	client := c.run()
	st, err := client.State(ctx(t))
	if err != nil || st.Status != shim.StatusRunning || st.Pid == 0 {
		t.Fatalf("state %+v, %v", st, err)
	}
	if err := client.Kill(ctx(t), syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if exit, err := client.Wait(ctx(t)); err != nil || exit.ExitCode != 128+9 {
		t.Fatalf("wait: %+v, %v", exit, err)
	}
}

// TestAttachBeforeStart: output written at once after start is all there.
func TestAttachBeforeStart(t *testing.T) {
	c := newContainer(t, config{args: []string{"seq", "1", "20000"}})
	client := c.create()
	conn, err := client.Attach(ctx(t), false, true, true)
	if err != nil {
		t.Fatal(err)
	}
	client.Start(ctx(t))
	stdout, _ := readFrames(t, conn)
	var want strings.Builder
	for i := 1; i <= 20000; i++ {
		fmt.Fprintln(&want, i)
	}
	if stdout != want.String() {
		t.Errorf("got %d bytes of output, want %d", len(stdout), want.Len())
	}
	if exit, err := client.Wait(ctx(t)); err != nil || exit.ExitCode != 0 {
		t.Fatalf("wait: %+v, %v", exit, err)
	}
	if n := len(readLog(t, c.logPath())); n != 20000 {
		t.Errorf("log has %d lines", n)
	}
}

func TestOOMKilled(t *testing.T) {
	c := newContainer(t, config{args: []string{"awk", "BEGIN { s = \"x\"; while (1) s = s s }"}, memory: 16 << 20})
	client := c.run()
	exit, err := client.Wait(ctx(t))
	if err != nil || exit.ExitCode != 137 || !exit.OOMKilled {
		t.Fatalf("wait: %+v, %v", exit, err)
	}
	if e, ok, err := shim.ReadExit(c.opts.ExitFile); err != nil || !ok || !e.OOMKilled {
		t.Errorf("exit file: %+v, %v, %v", e, ok, err)
	}
}

func TestKillCreated(t *testing.T) {
	c := newContainer(t, config{args: []string{"true"}})
	client := c.create()
	if err := client.Kill(ctx(t), syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if exit, err := client.Wait(ctx(t)); err != nil || exit.ExitCode != 137 || exit.OOMKilled {
		t.Fatalf("wait: %+v, %v", exit, err)
	}
	if err := client.Start(ctx(t)); err == nil {
		t.Error("start after exit succeeded")
	}
}

func TestStdinOnce(t *testing.T) {
	c := newContainer(t, config{args: []string{"cat"}, openStdin: true, stdinOnce: true})
	client := c.create()
	conn, err := client.Attach(ctx(t), true, true, true)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("hello\nworld\n")) // before start: buffered in the pipe
	client.Start(ctx(t))
	conn.(*net.UnixConn).CloseWrite()
	if stdout, stderr := readFrames(t, conn); stdout != "hello\nworld\n" || stderr != "" {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
	if exit, err := client.Wait(ctx(t)); err != nil || exit.ExitCode != 0 {
		t.Fatalf("wait: %+v, %v", exit, err)
	}
}

// TestTTYResize: a size asked for before start is applied once the pty
// exists (the process sees it after its first read), a later one at once.
func TestTTYResize(t *testing.T) {
	c := newContainer(t, config{args: []string{"sh", "-c", "read x; stty size; read x; stty size"}, tty: true, openStdin: true})
	client := c.create()
	conn, err := client.Attach(ctx(t), true, true, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Resize(ctx(t), 42, 117); err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("\n"))
	waitOutput(t, conn, "42 117\r\n")
	if err := client.Resize(ctx(t), 10, 20); err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("\n"))
	if out := readAllConn(t, conn); !strings.HasSuffix(out, "10 20\r\n") {
		t.Errorf("tty output after the second resize %q", out)
	}
	if exit, err := client.Wait(ctx(t)); err != nil || exit.ExitCode != 0 {
		t.Fatalf("wait: %+v, %v", exit, err)
	}
	if got := strings.Join(readLog(t, c.logPath()), ""); !strings.Contains(got, "stdout: 42 117\r\n") || !strings.Contains(got, "stdout: 10 20\r\n") {
		t.Errorf("log %q", got)
	}
}

func TestTTYStdin(t *testing.T) {
	c := newContainer(t, config{args: []string{"sh"}, tty: true, openStdin: true, stdinOnce: true})
	client := c.create()
	conn, err := client.Attach(ctx(t), true, true, true)
	if err != nil {
		t.Fatal(err)
	}
	client.Start(ctx(t))
	conn.Write([]byte("echo $((6*7))\nexit 4\n"))
	if out := readAllConn(t, conn); !strings.Contains(out, "42\r\n") {
		t.Errorf("tty output %q", out)
	}
	if exit, err := client.Wait(ctx(t)); err != nil || exit.ExitCode != 4 {
		t.Fatalf("wait: %+v, %v", exit, err)
	}
}

// process is an OCI process for exec.
func process(args ...string) map[string]any {
	return map[string]any{"args": args, "cwd": "/", "env": []string{"PATH=/bin"}, "user": map[string]any{"uid": 0, "gid": 0}}
}

func TestExec(t *testing.T) {
	c := newContainer(t, config{args: []string{"sleep", "100"}})
	client := c.run()

	conn, err := client.Exec(ctx(t), shim.ExecRequest{ID: "e1", Process: process("sh", "-c", "echo exec-out; echo exec-err >&2; exit 5")})
	if err != nil {
		t.Fatal(err)
	}
	if stdout, stderr := readFrames(t, conn); stdout != "exec-out\n" || stderr != "exec-err\n" {
		t.Errorf("exec stdout %q, stderr %q", stdout, stderr)
	}
	if st, err := client.ExecState(ctx(t), "e1"); err != nil || st.Running || st.ExitCode != 5 || st.Pid == 0 {
		t.Errorf("exec state %+v, %v", st, err)
	}

	conn, err = client.Exec(ctx(t), shim.ExecRequest{ID: "e2", Process: process("cat"), Stdin: true})
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("to cat\n"))
	conn.(*net.UnixConn).CloseWrite()
	if stdout, _ := readFrames(t, conn); stdout != "to cat\n" {
		t.Errorf("exec with stdin: %q", stdout)
	}

	p := process("stty", "size")
	p["consoleSize"] = map[string]uint{"height": 20, "width": 60}
	conn, err = client.Exec(ctx(t), shim.ExecRequest{ID: "e3", Process: p, Tty: true})
	if err != nil {
		t.Fatal(err)
	}
	if out := readAllConn(t, conn); out != "20 60\r\n" {
		t.Errorf("exec with tty: %q", out)
	}

	conn, err = client.Exec(ctx(t), shim.ExecRequest{ID: "e4", Process: process("sleep", "0.2"), Detach: true})
	if err != nil {
		t.Fatal(err)
	}
	if out := readAllConn(t, conn); out != "" {
		t.Errorf("detached exec sent %q", out)
	}
	if st, err := client.ExecState(ctx(t), "e4"); err != nil || st.Running || st.ExitCode != 0 {
		t.Errorf("detached exec state %+v, %v", st, err)
	}

	if _, err := client.Exec(ctx(t), shim.ExecRequest{ID: "e5", Process: process("nope")}); err == nil || !strings.Contains(err.Error(), "executable file not found") {
		t.Errorf("exec of a missing executable: %v", err)
	}
	if _, err := client.Exec(ctx(t), shim.ExecRequest{ID: "e1", Process: process("true")}); !errdefs.IsConflict(err) {
		t.Errorf("exec with a used id: %v", err)
	}
	if _, err := client.ExecState(ctx(t), "nope"); !errdefs.IsNotFound(err) {
		t.Errorf("state of a missing exec: %v", err)
	}
	client.Kill(ctx(t), syscall.SIGKILL, true)
	client.Wait(ctx(t))
}

func TestExecNotRunning(t *testing.T) {
	c := newContainer(t, config{args: []string{"true"}})
	client := c.create()
	_, err := client.Exec(ctx(t), shim.ExecRequest{ID: "e1", Process: process("true")})
	if !errdefs.IsConflict(err) {
		t.Errorf("exec in a created container: %v", err)
	}
	client.Start(ctx(t))
	client.Wait(ctx(t))
	if _, err := client.Exec(ctx(t), shim.ExecRequest{ID: "e2", Process: process("true")}); err == nil {
		t.Error("exec in a stopped container succeeded")
	}
}

func TestPauseResume(t *testing.T) {
	c := newContainer(t, config{args: []string{"sleep", "100"}})
	client := c.run()
	if err := client.Pause(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if st, _ := client.State(ctx(t)); st.Status != shim.StatusPaused {
		t.Errorf("status %q after pause", st.Status)
	}
	if _, err := client.Exec(ctx(t), shim.ExecRequest{ID: "e", Process: process("true")}); !errdefs.IsConflict(err) {
		t.Errorf("exec while paused: %v", err)
	}
	if err := client.Resume(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := client.Resume(ctx(t)); !errdefs.IsConflict(err) {
		t.Errorf("resume while running: %v", err)
	}
	client.Pause(ctx(t))
	if err := client.Kill(ctx(t), syscall.SIGKILL, false); err != nil { // a paused container dies too
		t.Fatal(err)
	}
	if exit, err := client.Wait(ctx(t)); err != nil || exit.ExitCode != 137 {
		t.Fatalf("wait: %+v, %v", exit, err)
	}
}

func TestMissingExecutable(t *testing.T) {
	c := newContainer(t, config{args: []string{"nope"}})
	client := c.create()
	err := client.Start(ctx(t))
	if err == nil || !strings.Contains(err.Error(), `runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH`) {
		t.Fatalf("start: %v", err)
	}
	// The shim goes away: nothing runs that it could serve.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := shim.Connect(c.dir)
		if errors.Is(err, shim.ErrNotRunning) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect after a failed start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDaemonCrash: the process that launched the shim dies; the container
// keeps running and logging; a new client connects; the exit is recorded
// with nobody connected.
func TestDaemonCrash(t *testing.T) {
	const lines = 60
	c := newContainer(t, config{args: []string{"sh", "-c", "i=0; while [ $i -lt " + strconv.Itoa(lines) + " ]; do echo line $i; i=$((i+1)); sleep 0.02; done"}})
	spec, _ := json.Marshal(launcher{Binary: shimBinary, ID: c.id, Dir: c.dir, Opts: c.opts})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), launcherEnv+"="+string(spec))
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "started") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("launcher: %q", line)
	}
	shimPid, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "started")))
	if ppid := parentOf(shimPid); ppid == cmd.Process.Pid {
		t.Errorf("the shim is the launcher's child")
	}
	cmd.Process.Kill() // berthd crashes
	cmd.Wait()

	client, err := shim.Connect(c.dir)
	if err != nil {
		t.Fatalf("connect after the launcher died: %v", err)
	}
	if st, err := client.State(ctx(t)); err != nil || st.Status != shim.StatusRunning {
		t.Fatalf("state %+v, %v", st, err)
	}
	// Nobody connected from here: the shim records the exit alone.
	deadline := time.Now().Add(20 * time.Second)
	for shimPidOf(c.id) != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	exit, ok, err := shim.ReadExit(c.opts.ExitFile)
	if err != nil || !ok || exit.ExitCode != 0 {
		t.Fatalf("exit file: %+v %v %v", exit, ok, err)
	}
	var want []string
	for i := range lines {
		want = append(want, fmt.Sprintf("stdout: line %d\n", i))
	}
	if got := readLog(t, c.logPath()); !slices.Equal(got, want) {
		t.Errorf("log has %d lines, want %d: %q", len(got), lines, got)
	}
	if _, err := shim.Connect(c.dir); !errors.Is(err, shim.ErrNotRunning) {
		t.Errorf("connect after exit: %v", err)
	}
	if e, err := client.Wait(ctx(t)); err != nil || e.ExitCode != 0 {
		t.Errorf("wait after the shim exited: %+v, %v", e, err)
	}
}

func shimPidOf(id string) int { return shimPid(id) }

func parentOf(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

func TestLogRotation(t *testing.T) {
	const n, maxFiles = 2000, 3
	c := newContainer(t, config{args: []string{"seq", "1", strconv.Itoa(n)}, maxSize: 4000, maxFiles: maxFiles})
	client := c.run()
	client.Wait(ctx(t))
	files, _ := filepath.Glob(c.logPath() + "*")
	if len(files) != maxFiles {
		t.Errorf("log files %q, want %d", files, maxFiles)
	}
	got := readLog(t, c.logPath())
	if len(got) == 0 || len(got) == n {
		t.Fatalf("%d lines after rotation", len(got))
	}
	first := n - len(got) + 1
	for i, line := range got {
		if want := fmt.Sprintf("stdout: %d\n", first+i); line != want {
			t.Fatalf("line %d is %q, want %q", i, line, want)
		}
	}
}

// TestFollowAcrossRotation follows the log of a container that rotates it
// about ten times (the files kept hold more than a poll's worth of lines).
func TestFollowAcrossRotation(t *testing.T) {
	const n = 300
	c := newContainer(t, config{args: []string{"sh", "-c", "i=0; while [ $i -lt " + strconv.Itoa(n) + " ]; do echo line $i; i=$((i+1)); [ $((i%10)) = 0 ] && sleep 0.02; done"}, maxSize: 2000, maxFiles: 4})
	client := c.run()
	done := make(chan struct{})
	go func() {
		client.Wait(context.Background())
		close(done)
	}()
	var got []string
	for m, err := range logs.Read(ctx(t), c.logPath(), logs.ReadOptions{Stdout: true, Tail: -1, Follow: true, Done: done}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m.Line))
	}
	for i := range n {
		if i >= len(got) || got[i] != fmt.Sprintf("line %d\n", i) {
			t.Fatalf("followed %d lines, want %d in order; at %d: %q", len(got), n, i, got[min(i, len(got)-1)])
		}
	}
	if files, _ := filepath.Glob(c.logPath() + "*"); len(files) != 4 {
		t.Errorf("log files %q: no rotation?", files)
	}
}

// TestShimRSS reports the memory of a shim serving an idle container.
func TestShimRSS(t *testing.T) {
	for _, driver := range []string{"json-file", "local"} {
		t.Run(driver, func(t *testing.T) {
			c := newContainer(t, config{args: []string{"sleep", "100"}, logDriver: driver})
			client := c.run()
			time.Sleep(500 * time.Millisecond)
			st, _ := client.State(ctx(t))
			logStatus(t, st.ShimPid)
			client.Kill(ctx(t), syscall.SIGKILL, false)
			client.Wait(ctx(t))
		})
	}
}

// logStatus logs the memory of process pid.
func logStatus(t *testing.T, pid int) {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS") || strings.HasPrefix(line, "RssAnon") || strings.HasPrefix(line, "RssFile") || strings.HasPrefix(line, "Threads") {
			t.Log(strings.Join(strings.Fields(line), " "))
		}
	}
}
