package shim_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth/berth/logs"
	"github.com/berth/berth/logs/logfile"
)

// readLocal returns the messages of the local log at path as
// "stream: text" lines.
func readLocal(t *testing.T, ctx context.Context, path string, opts logs.ReadOptions) []string {
	t.Helper()
	var out []string
	for m, err := range logs.ReadLocal(ctx, path, opts) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Stream+": "+string(m.Line))
	}
	return out
}

// TestLocalLog: both streams, and a line longer than 16 KiB, which is
// logged in partial messages.
func TestLocalLog(t *testing.T) {
	const long = 40000
	c := newContainer(t, config{logDriver: "local", args: []string{"sh", "-c",
		`echo out; echo err >&2; awk 'BEGIN { s = sprintf("%` + strconv.Itoa(long) + `s", ""); gsub(/ /, "x", s); print s }'; exit 3`}})
	client := c.run()
	if exit, err := client.Wait(ctx(t)); err != nil || exit.ExitCode != 3 {
		t.Fatalf("wait: %+v, %v", exit, err)
	}
	stdout := readLocal(t, ctx(t), c.logPath(), logs.ReadOptions{Stdout: true, Tail: -1})
	x := strings.Repeat("x", logfile.MaxLine)
	want := []string{"stdout: out\n", "stdout: " + x, "stdout: " + x, "stdout: " + x[:long-2*logfile.MaxLine] + "\n"}
	if !slices.Equal(stdout, want) {
		t.Errorf("stdout: %d messages %.40q, want %d", len(stdout), stdout, len(want))
	}
	if stderr := readLocal(t, ctx(t), c.logPath(), logs.ReadOptions{Stderr: true, Tail: -1}); !slices.Equal(stderr, []string{"stderr: err\n"}) {
		t.Errorf("stderr: %q", stderr)
	}
	if fi, err := os.Stat(filepath.Dir(c.logPath())); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("log dir: %v, %v", fi.Mode(), err)
	}
}

// TestLocalLogRotation: Docker's layout once the log rotated and berthd
// compressed it: the current file and compressed rotated ones, which
// together hold the last lines.
func TestLocalLogRotation(t *testing.T) {
	const n, maxFiles = 2000, 3
	c := newContainer(t, config{logDriver: "local", args: []string{"seq", "1", strconv.Itoa(n)}, maxSize: 4000, maxFiles: maxFiles})
	client := c.run()
	client.Wait(ctx(t))
	logFiles := func() []string {
		files, _ := filepath.Glob(filepath.Join(filepath.Dir(c.logPath()), "*"))
		return files
	}
	if want := []string{c.logPath(), c.logPath() + ".1", c.logPath() + ".2"}; !slices.Equal(logFiles(), want) {
		t.Errorf("log files %q, want %q", logFiles(), want)
	}
	if err := logs.CompressRotated(c.logPath()); err != nil {
		t.Fatal(err)
	}
	if want := []string{c.logPath(), c.logPath() + ".1.gz", c.logPath() + ".2.gz"}; !slices.Equal(logFiles(), want) {
		t.Errorf("log files %q, want %q", logFiles(), want)
	}
	got := readLocal(t, ctx(t), c.logPath(), logs.ReadOptions{Stdout: true, Tail: -1})
	if len(got) == 0 || len(got) == n {
		t.Fatalf("%d lines after rotation", len(got))
	}
	first := n - len(got) + 1
	for i, line := range got {
		if want := fmt.Sprintf("stdout: %d\n", first+i); line != want {
			t.Fatalf("line %d is %q, want %q", i, line, want)
		}
	}
	tail := len(got) - 5 // from the oldest, compressed file
	if got := readLocal(t, ctx(t), c.logPath(), logs.ReadOptions{Stdout: true, Tail: tail}); len(got) != tail || got[0] != fmt.Sprintf("stdout: %d\n", n-tail+1) {
		t.Errorf("tail %d: %d lines from %q", tail, len(got), got[:1])
	}
}

// TestLocalFollowAcrossRotation follows the local log of a container that
// rotates it about fifteen times, while berthd compresses it.
func TestLocalFollowAcrossRotation(t *testing.T) {
	const n = 300
	c := newContainer(t, config{logDriver: "local", args: []string{"sh", "-c", "i=0; while [ $i -lt " + strconv.Itoa(n) + " ]; do echo line $i; i=$((i+1)); [ $((i%10)) = 0 ] && sleep 0.02; done"},
		maxSize: 800, maxFiles: 4})
	client := c.run()
	done := make(chan struct{})
	go func() {
		client.Wait(context.Background())
		close(done)
	}()
	compressed := make(chan error, 1)
	go func() {
		for {
			err := logs.CompressRotated(c.logPath())
			select {
			case <-done:
				compressed <- errors.Join(err, logs.CompressRotated(c.logPath()))
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	got := readLocal(t, ctx(t), c.logPath(), logs.ReadOptions{Stdout: true, Tail: -1, Follow: true, Done: done})
	for i := range n {
		if i >= len(got) || got[i] != fmt.Sprintf("stdout: line %d\n", i) {
			t.Fatalf("followed %d lines, want %d in order; at %d: %q", len(got), n, i, got[min(i, len(got)-1)])
		}
	}
	if err := <-compressed; err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(c.logPath() + ".*.gz"); len(files) != 3 {
		t.Errorf("compressed files %q: no rotation?", files)
	}
}

// TestShimRSSAfterRotation reports the memory of a shim serving an idle
// container after it rotated its local log a few times.
func TestShimRSSAfterRotation(t *testing.T) {
	c := newContainer(t, config{logDriver: "local", args: []string{"sh", "-c", "seq 1 200000; exec sleep 100"}, maxSize: 1 << 20, maxFiles: 5})
	client := c.run()
	defer func() {
		client.Kill(ctx(t), syscall.SIGKILL, false)
		client.Wait(ctx(t))
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if rotated, _ := filepath.Glob(c.logPath() + ".4"); len(rotated) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no rotation")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	st, _ := client.State(ctx(t))
	logStatus(t, st.ShimPid)
	if got := readLocal(t, ctx(t), c.logPath(), logs.ReadOptions{Stdout: true, Tail: 1}); !slices.Equal(got, []string{"stdout: 200000\n"}) {
		t.Errorf("last line %q", got)
	}
}
