package logs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/logs/logfile"
)

// TestDecodeFast decodes the lines logfile.JSON writes on the fast path.
func TestDecodeFast(t *testing.T) {
	ts := time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC)
	ins := []string{"plain\n", "esc \"\\/\b\f\t\r\n", "ünï \u2028 <>&\n", "😀 partial", ""}
	path := filepath.Join(t.TempDir(), "log")
	w, err := logfile.OpenJSON(path, logfile.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range ins {
		w.Write(Stderr, []byte(in), ts)
	}
	w.Close()
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i, line := range lines {
		var m Message
		if !decodeFast(&m, []byte(line)) {
			t.Fatalf("fast path refused %s", line)
		}
		if string(m.Line) != ins[i] || m.Stream != Stderr || !m.Time.Equal(ts) {
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
