package logfile

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

func TestEntry(t *testing.T) {
	ts := time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC)
	for _, in := range []string{"plain\n", "esc \"\\/\b\f\t\r\n", "ünï \u2028 <>&\n", "😀 partial", ""} {
		line := appendEntry(nil, Stderr, []byte(in), ts)
		want := `{"log":` + string(appendString(nil, []byte(in))) + `,"stream":"stderr","time":"2024-05-01T10:00:00.123456Z"}` + "\n"
		if string(line) != want {
			t.Fatalf("entry %s, want %s", line, want)
		}
		var e struct{ Log, Stream, Time string }
		if err := json.Unmarshal(line, &e); err != nil || e.Log != in {
			t.Errorf("%s decodes to %+v, %v", line, e, err)
		}
	}
}
