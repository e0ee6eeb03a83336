package logfile

import (
	"bytes"
	"compress/gzip"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func TestRecordRoundTrip(t *testing.T) {
	ts := time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)
	for _, line := range []string{"plain\n", "\n", "partial", "", "binary \x00\xff\n\r\n", strings.Repeat("x", MaxLine)} {
		for _, stream := range []string{Stdout, Stderr} {
			rec := AppendRecord(nil, stream, []byte(line), ts)
			n, r, ok := NextRecord(append(rec, "next"...))
			if !ok || n != len(rec) {
				t.Fatalf("%q: split %d %v, record is %d bytes", line, n, ok, len(rec))
			}
			text := string(r.Text)
			if !r.Partial {
				text += "\n"
			}
			if r.Header || text != line || r.Stream != stream || r.Time != ts.UnixNano() {
				t.Errorf("%q: decoded %+v", line, r)
			}
		}
	}
}

func TestNextRecordIncompleteOrDamaged(t *testing.T) {
	rec := AppendRecord(nil, Stdout, []byte("hello\n"), t0)
	for i := range len(rec) {
		if n, _, ok := NextRecord(rec[:i]); n != 0 || ok {
			t.Errorf("%d of %d bytes: %d %v, want incomplete", i, len(rec), n, ok)
		}
	}
	header := appendHeader(nil, 7, t0)
	for _, damaged := range [][]byte{
		{0xff, 0, 0, 0, 1, 0}, // length too large
		{0, 0, 0, 1, 1, 0},    // length too small
		{0, 0, 0, 16, 9, 0},   // no such kind
		{0, 0, 0, 16, 1, 7},   // no such flag
		{0, 0, 0, 16, 0, 0},   // a header of the wrong length
		func() []byte { b := slices.Clone(rec); b[len(b)-1]++; return b }(),        // lengths differ
		func() []byte { b := slices.Clone(header); b[recordBody+4]++; return b }(), // not our header
	} {
		if n, _, ok := NextRecord(damaged); n != 1 || ok {
			t.Errorf("% x: %d %v, want a byte skipped", damaged, n, ok)
		}
	}
}

func TestHeader(t *testing.T) {
	h := appendHeader(nil, 42, t0)
	if len(h) != HeaderSize {
		t.Fatalf("header is %d bytes, want %d", len(h), HeaderSize)
	}
	if _, r, ok := NextRecord(h); !ok || !r.Header || r.Seq != 42 || r.Stream != "" {
		t.Errorf("header decodes to %+v, %v", r, ok)
	}
	if seq, ok := ReadSeq(bytes.NewReader(h), false); !ok || seq != 42 {
		t.Errorf("ReadSeq: %d %v", seq, ok)
	}
	msg := AppendRecord(nil, Stdout, []byte("not a header but long enough\n"), t0)
	if _, ok := ReadSeq(bytes.NewReader(msg), false); ok {
		t.Error("a message read as a header")
	}
}

func TestGzipSeq(t *testing.T) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Extra = append([]byte("xy\x02\x00ab"), GzipExtra(1<<40+3)...)
	zw.Write(appendHeader(nil, 1<<40+3, t0))
	zw.Close()
	if seq, ok := ReadSeq(bytes.NewReader(b.Bytes()), true); !ok || seq != 1<<40+3 {
		t.Errorf("ReadSeq: %d %v", seq, ok)
	}
	zr, err := gzip.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	if seq, ok := ReadSeq(zr, false); !ok || seq != 1<<40+3 {
		t.Errorf("the header inside: %d %v", seq, ok)
	}
}
