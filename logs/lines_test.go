package logs

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLineWriter(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name   string
		writes []string
		want   []string
	}{
		{"lines", []string{"a\nb\n"}, []string{"a\n", "b\n"}},
		{"split writes", []string{"he", "llo\nwor", "ld\n"}, []string{"hello\n", "world\n"}},
		{"empty lines", []string{"\n\n"}, []string{"\n", "\n"}},
		{"last line without newline", []string{"a\nbc"}, []string{"a\n", "bc\n"}},
		{"longest whole line", []string{x(MaxLine-1) + "\n"}, []string{x(MaxLine-1) + "\n"}},
		{"one byte too long", []string{x(MaxLine) + "\n"}, []string{x(MaxLine), "\n"}},
		{"long line", []string{x(MaxLine), x(MaxLine + 10), "\n"}, []string{x(MaxLine), x(MaxLine), "xxxxxxxxxx\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "log")
			f, err := OpenJSONFile(path, Config{})
			if err != nil {
				t.Fatal(err)
			}
			lw := NewLineWriter(f, Stdout)
			for _, w := range tc.writes {
				if _, err := lw.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
			}
			lw.Flush()
			f.Close()
			got := readAll(t, path, ReadOptions{Stdout: true, Tail: -1})
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
