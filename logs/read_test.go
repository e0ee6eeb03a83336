package logs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/logs/logfile"
)

// readAll returns the Line of every message Read yields.
func readAll(t testing.TB, path string, opts ReadOptions) []string {
	t.Helper()
	var out []string
	for m, err := range Read(context.Background(), path, opts) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(m.Line))
	}
	return out
}

func lines(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("line %d\n", i))
	}
	return out
}

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// writeLog writes n lines, "line i" at t0+i seconds, stdout for even i.
func writeLog(t testing.TB, path string, cfg logfile.Config, n int) {
	t.Helper()
	f, err := logfile.OpenJSON(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range n {
		stream := Stdout
		if i%2 == 1 {
			stream = Stderr
		}
		if err := f.Write(stream, fmt.Appendf(nil, "line %d\n", i), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadFilters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	writeLog(t, path, logfile.Config{MaxSize: 300, MaxFiles: 100}, 20)
	all := lines(0, 20)
	for _, tc := range []struct {
		name string
		opts ReadOptions
		want []string
	}{
		{"all", ReadOptions{Stdout: true, Stderr: true, Tail: -1}, all},
		{"stdout", ReadOptions{Stdout: true, Tail: -1}, []string{"line 0\n", "line 2\n", "line 4\n", "line 6\n", "line 8\n", "line 10\n", "line 12\n", "line 14\n", "line 16\n", "line 18\n"}},
		{"tail 3", ReadOptions{Stdout: true, Stderr: true, Tail: 3}, all[17:]},
		{"tail 0", ReadOptions{Stdout: true, Stderr: true, Tail: 0}, nil},
		{"tail more than all", ReadOptions{Stdout: true, Stderr: true, Tail: 500}, all},
		{"tail counts both streams", ReadOptions{Stderr: true, Tail: 4}, []string{"line 17\n", "line 19\n"}},
		{"since", ReadOptions{Stdout: true, Stderr: true, Tail: -1, Since: t0.Add(15 * time.Second)}, all[15:]},
		{"until", ReadOptions{Stdout: true, Stderr: true, Tail: -1, Until: t0.Add(2 * time.Second)}, all[:3]},
		{"timestamps", ReadOptions{Stdout: true, Tail: 1, Stderr: true, Timestamps: true}, []string{"2024-05-01T10:00:19.000000000Z line 19\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readAll(t, path, tc.opts); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	for _, maxFiles := range []int{1, 2, 4} {
		t.Run(fmt.Sprint(maxFiles), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "c-json.log")
			const maxSize = 1000
			writeLog(t, path, logfile.Config{MaxSize: maxSize, MaxFiles: maxFiles}, 500)
			entries, _ := os.ReadDir(dir)
			if len(entries) > maxFiles {
				t.Fatalf("%d files, want at most %d", len(entries), maxFiles)
			}
			for _, e := range entries {
				if fi, _ := e.Info(); fi.Size() > maxSize {
					t.Errorf("%s has %d bytes", e.Name(), fi.Size())
				}
			}
			got := readAll(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: -1})
			if len(got) == 0 || !slices.Equal(got, lines(500-len(got), 500)) {
				t.Errorf("read %q, want the last lines in order", got)
			}
			if tail := readAll(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: 5}); !slices.Equal(tail, lines(495, 500)) {
				t.Errorf("tail 5: %q", tail)
			}
		})
	}
}

func TestIncompleteLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	writeLog(t, path, logfile.Config{}, 2)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"log":"line 2\n","stream":"stdout","ti`)
	if got := readAll(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: -1}); !slices.Equal(got, lines(0, 2)) {
		t.Errorf("got %q", got)
	}
	if got := readAll(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: 1}); !slices.Equal(got, lines(1, 2)) {
		t.Errorf("tail 1 got %q", got)
	}
	// A follower yields the line once it is complete.
	done := make(chan struct{})
	go func() {
		time.Sleep(2 * pollInterval)
		f.WriteString(`me":"2024-05-01T10:00:02Z"}` + "\n")
		f.Close()
		close(done)
	}()
	got := readAll(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: -1, Follow: true, Done: done})
	if !slices.Equal(got, lines(0, 3)) {
		t.Errorf("follow got %q", got)
	}
}

func TestMissingLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	if got := readAll(t, path, ReadOptions{Stdout: true, Tail: -1}); len(got) != 0 {
		t.Errorf("got %q", got)
	}
	// A follower waits for the file.
	done := make(chan struct{})
	go func() {
		time.Sleep(2 * pollInterval)
		writeLog(t, path, logfile.Config{}, 3)
		close(done)
	}()
	if got := readAll(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: -1, Follow: true, Done: done}); !slices.Equal(got, lines(0, 3)) {
		t.Errorf("follow got %q", got)
	}
}

// TestFollowRotation follows a log that rotates many times while it is
// read; the follower must see every line once, in order.
func TestFollowRotation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxFiles int
		n        int
		pace     time.Duration // per 10 lines
	}{
		{"many files", 100, 1500, 0},
		{"three files paced", 3, 500, 25 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c-json.log")
			w, err := logfile.OpenJSON(path, logfile.Config{MaxSize: 2000, MaxFiles: tc.maxFiles})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(Stdout, []byte("line 0\n"), time.Now())
			n := tc.n
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer w.Close()
				for i := 1; i < n; i++ {
					w.Write(Stdout, fmt.Appendf(nil, "line %d\n", i), time.Now())
					if tc.pace > 0 && i%10 == 0 {
						time.Sleep(tc.pace)
					}
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var got []string
			for m, err := range Read(ctx, path, ReadOptions{Stdout: true, Tail: -1, Follow: true, Done: done}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(m.Line))
			}
			if !slices.Equal(got, lines(0, n)) {
				t.Errorf("got %d lines, first %q, want %d in order", len(got), got[:min(3, len(got))], n)
			}
		})
	}
}

func TestFollowEndsOnCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	writeLog(t, path, logfile.Config{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	for m, err := range Read(ctx, path, ReadOptions{Stdout: true, Tail: -1, Follow: true}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if strings.HasPrefix(string(m.Line), "line 0") {
			cancel()
		}
	}
	if n != 1 {
		t.Errorf("%d messages", n)
	}
}

func TestFollowUntil(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	writeLog(t, path, logfile.Config{}, 1)
	start := time.Now()
	readAll(t, path, ReadOptions{Stdout: true, Tail: -1, Follow: true, Until: time.Now().Add(200 * time.Millisecond)})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("follow with until took %v", d)
	}
}

// BenchmarkRead reads back about 100 MB of json-file log.
func BenchmarkRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "c-json.log")
	f, err := logfile.OpenJSON(path, logfile.Config{MaxSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	line := []byte(strings.Repeat("some typical log output with\ta tab and \"quotes\" ", 2) + "\n")
	msgs := 0
	for fi, _ := os.Stat(path); fi.Size() < 100<<20; fi, _ = os.Stat(path) {
		for range 10000 {
			f.Write(Stdout, line, time.Now())
		}
		msgs += 10000
	}
	f.Close()
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	for b.Loop() {
		n := 0
		for _, err := range Read(context.Background(), path, ReadOptions{Stdout: true, Tail: -1}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != msgs {
			b.Fatalf("read %d messages, wrote %d", n, msgs)
		}
	}
	b.ReportMetric(float64(msgs)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mmsg/s")
}
