package logs

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/logs/logfile"
)

// writeLocalLog is writeLog for a local log, lines from to to; with
// compress, berthd's part follows: the rotated files are compressed.
func writeLocalLog(t testing.TB, path string, cfg logfile.Config, compress bool, from, to int) {
	t.Helper()
	f, err := logfile.OpenLocal(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		stream := Stdout
		if i%2 == 1 {
			stream = Stderr
		}
		if err := f.Write(stream, fmt.Appendf(nil, "line %d\n", i), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if compress {
		if err := CompressRotated(path); err != nil {
			t.Fatal(err)
		}
	}
}

// nameSeq is the sequence number of the log file name.
func nameSeq(t testing.TB, name string) uint64 {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seq, _ := fileSeq(logFile{name: name, File: f, gz: strings.HasSuffix(name, ".gz")})
	return seq
}

func readAllLocal(t testing.TB, path string, opts ReadOptions) []string {
	t.Helper()
	var out []string
	for m, err := range ReadLocal(context.Background(), path, opts) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(m.Line))
	}
	return out
}

func TestLocalReadFilters(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprint("compress=", compress), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "container.log")
			writeLocalLog(t, path, logfile.Config{MaxSize: 150, MaxFiles: 100}, compress, 0, 20)
			if gz, _ := filepath.Glob(path + ".*.gz"); compress != (len(gz) > 0) {
				t.Fatalf("compressed files: %q", gz)
			}
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
				{"tail across files", ReadOptions{Stdout: true, Stderr: true, Tail: 13}, all[7:]},
				{"tail more than all", ReadOptions{Stdout: true, Stderr: true, Tail: 500}, all},
				{"tail counts both streams", ReadOptions{Stderr: true, Tail: 4}, []string{"line 17\n", "line 19\n"}},
				{"since", ReadOptions{Stdout: true, Stderr: true, Tail: -1, Since: t0.Add(15 * time.Second)}, all[15:]},
				{"until", ReadOptions{Stdout: true, Stderr: true, Tail: -1, Until: t0.Add(2 * time.Second)}, all[:3]},
				{"timestamps", ReadOptions{Stdout: true, Tail: 1, Stderr: true, Timestamps: true}, []string{"2024-05-01T10:00:19.000000000Z line 19\n"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if got := readAllLocal(t, path, tc.opts); !slices.Equal(got, tc.want) {
						t.Errorf("got %q, want %q", got, tc.want)
					}
				})
			}
		})
	}
}

func TestLocalPartialMessages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "container.log")
	f, err := logfile.OpenLocal(path, logfile.Config{})
	if err != nil {
		t.Fatal(err)
	}
	x := strings.Repeat("x", logfile.MaxLine)
	lw := logfile.NewLineWriter(f, Stdout)
	lw.Write([]byte(x + x + "end\nlast"))
	lw.Flush()
	f.Close()
	got := readAllLocal(t, path, ReadOptions{Stdout: true, Tail: -1})
	if want := []string{x, x, "end\n", "last\n"}; !slices.Equal(got, want) {
		t.Errorf("got %d messages %.20q, want %d", len(got), got, len(want))
	}
}

func TestLocalRotation(t *testing.T) {
	for _, tc := range []struct {
		maxFiles int
		compress bool
	}{{1, false}, {2, false}, {4, false}, {2, true}, {4, true}} {
		t.Run(fmt.Sprintf("%d files compress=%v", tc.maxFiles, tc.compress), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "container.log")
			const maxSize = 1000
			writeLocalLog(t, path, logfile.Config{MaxSize: maxSize, MaxFiles: tc.maxFiles}, tc.compress, 0, 500)
			entries, _ := os.ReadDir(dir)
			if len(entries) != tc.maxFiles {
				t.Fatalf("%d files, want %d", len(entries), tc.maxFiles)
			}
			for i, e := range entries {
				want := "container.log"
				if i > 0 {
					want += fmt.Sprintf(".%d", i)
					if tc.compress {
						want += ".gz"
					}
				}
				if e.Name() != want {
					t.Errorf("file %s, want %s", e.Name(), want)
				}
				if size := uncompressedSize(t, filepath.Join(dir, e.Name())); size > maxSize {
					t.Errorf("%s has %d bytes", e.Name(), size)
				}
			}
			got := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: -1})
			if len(got) == 0 || !slices.Equal(got, lines(500-len(got), 500)) {
				t.Errorf("read %q, want the last lines in order", got)
			}
			for _, n := range []int{5, len(got) - 3, len(got), len(got) + 10} {
				want := lines(max(500-n, 500-len(got)), 500)
				if tail := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: n}); !slices.Equal(tail, want) {
					t.Errorf("tail %d: %d lines, want %d", n, len(tail), len(want))
				}
			}
		})
	}
}

func uncompressedSize(t *testing.T, name string) int {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return len(b)
}

// TestLocalCompressionInFlight reads while a compression is finishing:
// <path>.1 and <path>.1.gz both exist, with the same messages.
func TestLocalCompressionInFlight(t *testing.T) {
	path := filepath.Join(t.TempDir(), "container.log")
	writeLocalLog(t, path, logfile.Config{MaxSize: 200, MaxFiles: 3}, false, 0, 12)
	f, _ := os.Open(path + ".1")
	if err := gzipTo(path+".1.gz", f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.WriteFile(path+".gz.tmp", []byte("a compression that was cut short"), 0o640)
	got := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: -1})
	if len(got) == 0 || !slices.Equal(got, lines(12-len(got), 12)) {
		t.Errorf("read %q, want the last lines in order, once", got)
	}
	if err := CompressRotated(path); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(path + ".*")
	if want := []string{path + ".1.gz"}; !slices.Equal(names, want) {
		t.Errorf("files %q, want %q", names, want)
	}
	if again := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: -1}); !slices.Equal(again, got) {
		t.Errorf("compressed: %q", again)
	}
}

// TestLocalReopen: a new writer (the container started again) appends to
// the log and numbers the files it makes after the existing ones.
func TestLocalReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "container.log")
	cfg := logfile.Config{MaxSize: 300, MaxFiles: 50}
	writeLocalLog(t, path, cfg, true, 0, 10)
	seq := nameSeq(t, path)
	writeLocalLog(t, path, cfg, true, 10, 20)
	if seq2 := nameSeq(t, path); seq2 <= seq {
		t.Errorf("seq %d after reopening, was %d", seq2, seq)
	}
	// A writer stopped in the middle of a rotation: <path> moved to
	// <path>.1, the new file not in place yet.
	names, _ := rotatedNames(path)
	for _, name := range names {
		num, gz := strings.CutSuffix(strings.TrimPrefix(name, path+"."), ".gz")
		n, _ := strconv.Atoi(num)
		to := logfile.RotatedName(path, n+1)
		if gz {
			to += ".gz"
		}
		os.Rename(name, to)
	}
	header := make([]byte, logfile.HeaderSize)
	f, _ := os.Open(path)
	f.Read(header)
	f.Close()
	os.Rename(path, path+".1")
	os.WriteFile(path+".new", header, 0o640)
	writeLocalLog(t, path, cfg, true, 20, 30)
	names, _ = rotatedNames(path)
	if plain, _ := filepath.Glob(path + ".[0-9]"); len(plain) > 0 {
		t.Errorf("rotated files left uncompressed: %q", plain)
	}
	var seqs []uint64
	for _, name := range append(names, path) {
		seqs = append(seqs, nameSeq(t, name))
	}
	if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
		t.Errorf("file numbers %v, want increasing", seqs)
	}
	want := append(lines(0, 20), lines(20, 30)...)
	if got := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: -1}); !slices.Equal(got, want) {
		t.Errorf("got %q", got)
	}
}

func TestLocalIncompleteLastRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "container.log")
	writeLocalLog(t, path, logfile.Config{}, false, 0, 2)
	rec := logfile.AppendRecord(nil, Stdout, []byte("line 2\n"), t0.Add(2*time.Second))
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(rec[:9])
	for _, tail := range []int{-1, 0, 1, 2} {
		want := lines(0, 2)
		if tail >= 0 {
			want = want[2-tail:]
		}
		if got := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: tail}); !slices.Equal(got, want) {
			t.Errorf("tail %d: got %q, want %q", tail, got, want)
		}
	}
	// Followers yield the record once it is complete: from the start, and
	// from the end (tail 0) with a walk back that has to give up.
	for _, tail := range []int{-1, 0} {
		done := make(chan struct{})
		go func() {
			time.Sleep(2 * pollInterval)
			f.Write(rec[9:12])
			time.Sleep(2 * pollInterval)
			f.Write(rec[12:])
			close(done)
		}()
		want := lines(0, 3)
		if tail == 0 {
			want = want[2:]
		}
		got := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: tail, Follow: true, Done: done})
		if !slices.Equal(got, want) {
			t.Errorf("follow tail %d: got %q, want %q", tail, got, want)
		}
		os.Truncate(path, int64(logfile.HeaderSize+2*len(logfile.AppendRecord(nil, Stdout, []byte("line 0\n"), t0))))
		f.Write(rec[:9])
	}
	f.Close()
}

// TestLocalTornRecord: a writer that stopped in the middle of a record
// (killed, or the disk was full) leaves it incomplete; the next writer
// starts a new file rather than append after it.
func TestLocalTornRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "container.log")
	cfg := logfile.Config{MaxFiles: 3}
	writeLocalLog(t, path, cfg, true, 0, 3)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(logfile.AppendRecord(nil, Stdout, []byte("torn away\n"), t0)[:15])
	f.Close()
	writeLocalLog(t, path, cfg, true, 3, 6)
	if names, _ := filepath.Glob(path + "*"); len(names) != 2 {
		t.Errorf("files %q, want a new one", names)
	}
	if got := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: -1}); !slices.Equal(got, lines(0, 6)) {
		t.Errorf("got %q", got)
	}
	if got := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: 4}); !slices.Equal(got, lines(2, 6)) {
		t.Errorf("tail 4: got %q", got)
	}
}

// TestLocalDamage: bytes that are no record are skipped, and the records
// after them read, with or without tail.
func TestLocalDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "container.log")
	writeLocalLog(t, path, logfile.Config{}, false, 0, 6)
	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	recSize := int64(len(logfile.AppendRecord(nil, Stdout, []byte("line 0\n"), t0)))
	f.WriteAt([]byte("garbage!"), logfile.HeaderSize+2*recSize+5) // in line 2
	f.Close()
	want := append(lines(0, 2), lines(3, 6)...)
	if got := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: -1}); !slices.Equal(got, want) {
		t.Errorf("got %q", got)
	}
	if got := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: 4}); !slices.Equal(got, want[1:]) {
		t.Errorf("tail 4: got %q", got)
	}
}

func TestLocalMissingLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local-logs", "container.log")
	if got := readAllLocal(t, path, ReadOptions{Stdout: true, Tail: -1}); len(got) != 0 {
		t.Errorf("got %q", got)
	}
	done := make(chan struct{})
	go func() {
		time.Sleep(2 * pollInterval)
		os.Mkdir(filepath.Dir(path), 0o700)
		writeLocalLog(t, path, logfile.Config{}, false, 0, 3)
		close(done)
	}()
	if got := readAllLocal(t, path, ReadOptions{Stdout: true, Stderr: true, Tail: -1, Follow: true, Done: done}); !slices.Equal(got, lines(0, 3)) {
		t.Errorf("follow got %q", got)
	}
}

// TestLocalFollowRotation follows a log that rotates many times while it
// is read, and that berthd compresses meanwhile: the follower must see
// every line once, in order, whatever the tail it started with.
func TestLocalFollowRotation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxFiles int
		compress bool
		n        int
		pace     time.Duration // per 10 lines
		tail     int
	}{
		{"many files", 100, false, 1500, 0, -1},
		{"many compressed files", 100, true, 1500, 0, -1},
		{"three compressed files paced", 3, true, 500, 25 * time.Millisecond, -1},
		{"three compressed files paced tail 1", 3, true, 500, 25 * time.Millisecond, 1},
		{"one file paced", 1, false, 300, 25 * time.Millisecond, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "container.log")
			w, err := logfile.OpenLocal(path, logfile.Config{MaxSize: 1000, MaxFiles: tc.maxFiles})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(Stdout, []byte("line 0\n"), time.Now())
			n := tc.n
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer w.Close()
				time.Sleep(pollInterval) // the follower starts first
				for i := 1; i < n; i++ {
					w.Write(Stdout, fmt.Appendf(nil, "line %d\n", i), time.Now())
					if tc.pace > 0 && i%10 == 0 {
						time.Sleep(tc.pace)
					}
				}
			}()
			if tc.compress {
				compressed := compressUntil(t, path, done)
				defer func() { <-compressed }()
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var got []string
			for m, err := range ReadLocal(ctx, path, ReadOptions{Stdout: true, Tail: tc.tail, Follow: true, Done: done}) {
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

// compressUntil runs CompressRotated on the log at path, as berthd would,
// again and again until done is closed; the channel it returns is closed
// after a last pass.
func compressUntil(t *testing.T, path string, done <-chan struct{}) <-chan struct{} {
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				if err := CompressRotated(path); err != nil {
					t.Error(err)
				}
				return
			case <-time.After(time.Millisecond):
			}
			if err := CompressRotated(path); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	return finished
}

// TestCompressRotatedWhileRotating compresses a log whose writer rotates
// it as fast as it can: no message may be lost or doubled, and nothing
// is left uncompressed.
func TestCompressRotatedWhileRotating(t *testing.T) {
	path := filepath.Join(t.TempDir(), "container.log")
	w, err := logfile.OpenLocal(path, logfile.Config{MaxSize: 500, MaxFiles: 20})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	done := make(chan struct{})
	compressed := compressUntil(t, path, done)
	for i := range n {
		w.Write(Stdout, fmt.Appendf(nil, "line %d\n", i), t0)
	}
	w.Close()
	close(done)
	<-compressed
	if plain, _ := filepath.Glob(path + ".[0-9]*[0-9]"); len(plain) > 0 {
		t.Errorf("left uncompressed: %q", plain)
	}
	if names, _ := filepath.Glob(path + "*"); len(names) != 20 {
		t.Errorf("%d files, want 20", len(names))
	}
	got := readAllLocal(t, path, ReadOptions{Stdout: true, Tail: -1})
	if len(got) == 0 || !slices.Equal(got, lines(n-len(got), n)) {
		t.Errorf("read %d lines, want the last ones in order", len(got))
	}
}

// BenchmarkReadLocal reads back about 100 MB of local log, in one file
// or rotated into compressed files (100 MB before compression). The
// messages are BenchmarkRead's: compare Mmsg/s.
func BenchmarkReadLocal(b *testing.B) {
	line := []byte(strings.Repeat("some typical log output with\ta tab and \"quotes\" ", 2) + "\n")
	recSize := int64(len(logfile.AppendRecord(nil, Stdout, line, time.Now())))
	for _, compress := range []bool{false, true} {
		name, cfg := "plain", logfile.Config{MaxSize: -1}
		if compress {
			name, cfg = "compressed", logfile.Config{MaxFiles: 100}
		}
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "container.log")
			f, err := logfile.OpenLocal(path, cfg)
			if err != nil {
				b.Fatal(err)
			}
			msgs := 0
			var size int64
			for ; size < 100<<20; size += recSize {
				f.Write(Stdout, line, time.Now())
				msgs++
			}
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
			if compress {
				if err := CompressRotated(path); err != nil {
					b.Fatal(err)
				}
			}
			var disk int64
			names, _ := filepath.Glob(path + "*")
			for _, name := range names {
				fi, _ := os.Stat(name)
				disk += fi.Size()
			}
			b.SetBytes(size)
			for b.Loop() {
				n := 0
				for _, err := range ReadLocal(context.Background(), path, ReadOptions{Stdout: true, Tail: -1}) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != msgs {
					b.Fatalf("read %d messages, wrote %d", n, msgs)
				}
			}
			b.ReportMetric(float64(disk)/1e6, "MB-on-disk")
			b.ReportMetric(float64(msgs)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mmsg/s")
		})
	}
}
