package logfile_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth/berth/logs"
	"github.com/berth/berth/logs/logfile"
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
		{"longest whole line", []string{x(logfile.MaxLine-1) + "\n"}, []string{x(logfile.MaxLine-1) + "\n"}},
		{"one byte too long", []string{x(logfile.MaxLine) + "\n"}, []string{x(logfile.MaxLine), "\n"}},
		{"long line", []string{x(logfile.MaxLine), x(logfile.MaxLine + 10), "\n"}, []string{x(logfile.MaxLine), x(logfile.MaxLine), "xxxxxxxxxx\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "log")
			f, err := logfile.OpenJSON(path, logfile.Config{})
			if err != nil {
				t.Fatal(err)
			}
			lw := logfile.NewLineWriter(f, logfile.Stdout)
			for _, w := range tc.writes {
				if _, err := lw.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
			}
			lw.Flush()
			f.Close()
			var got []string
			for m, err := range logs.Read(context.Background(), path, logs.ReadOptions{Stdout: true, Tail: -1}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(m.Line))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
