package logs

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestAppendString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"hello\n", `"hello\n"`},
		{"tab\there \"q\" back\\slash", `"tab\there \"q\" back\\slash"`},
		{"<a&b>", `"\u003ca\u0026b\u003e"`},
		{"\x00\x1b[31m\r", `"\u0000\u001b[31m\r"`},
		{"héllo ✓ 😀", `"héllo ✓ 😀"`},
		{"bad \xff byte", `"bad \ufffd byte"`},
		{"sep \u2028\u2029", `"sep \u2028\u2029"`},
	} {
		got := string(appendString(nil, []byte(tc.in)))
		if got != tc.want {
			t.Errorf("appendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != strings.ToValidUTF8(tc.in, "\ufffd") {
			t.Errorf("%s decodes to %q, %v", got, back, err)
		}
	}
}

func TestEntryRoundTrip(t *testing.T) {
	ts := time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC)
	for _, in := range []string{"plain\n", "esc \"\\/\b\f\t\r\n", "ünï \u2028 <>&\n", "😀 partial", ""} {
		line := appendEntry(nil, Stderr, []byte(in), ts)
		want := `{"log":` + string(appendString(nil, []byte(in))) + `,"stream":"stderr","time":"2024-05-01T10:00:00.123456Z"}` + "\n"
		if string(line) != want {
			t.Fatalf("entry %s, want %s", line, want)
		}
		var m Message
		if !decodeFast(&m, line[:len(line)-1]) {
			t.Fatalf("fast path refused %s", line)
		}
		if string(m.Line) != in || m.Stream != Stderr || !m.Time.Equal(ts) {
			t.Errorf("decoded %q %s %v", m.Line, m.Stream, m.Time)
		}
	}
}

func TestDecodeDockerLines(t *testing.T) {
	for _, line := range []string{
		`{"log":"with attrs\n","stream":"stdout","attrs":{"a":"b"},"time":"2024-05-01T10:00:00.5Z"}`,
		`{"stream":"stdout","time":"2024-05-01T10:00:00.5Z","log":"reordered\n"}`,
		`{"log":"surrogate \ud83d\ude00\n","stream":"stdout","time":"2024-05-01T10:00:00.5Z"}`,
	} {
		var m Message
		if err := decodeEntry(&m, []byte(line)); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		var want struct{ Log string }
		json.Unmarshal([]byte(line), &want)
		if string(m.Line) != want.Log || m.Stream != Stdout || m.Time.Nanosecond() != 5e8 {
			t.Errorf("%s: got %q %q %v", line, m.Line, m.Stream, m.Time)
		}
	}
	var m Message
	if err := decodeEntry(&m, []byte(`{"log":"torn`)); err == nil {
		t.Error("torn line decoded")
	}
}
