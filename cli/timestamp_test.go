package cli

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "10m", want: "1772365800"},
		{in: "1h30m", want: "1772361000"},
		{in: "0", want: "0"},
		{in: "1772366400", want: "1772366400"},
		{in: "1772366400.5", want: "1772366400.5"},
		{in: "2026-03-01T11:00:00Z", want: "1772362800.000000000"},
		{in: "2026-03-01T11:00:00.25Z", want: "1772362800.250000000"},
		{in: "2026-03-01T13:00:00+02:00", want: "1772362800.000000000"},
		{in: "2026-03-01T11:00:00", want: "1772362800.000000000"},
		{in: "2026-03-01T11:00", want: "1772362800.000000000"},
		{in: "2026-03-01T11", want: "1772362800.000000000"},
		{in: "2026-03-01", want: "1772323200.000000000"},
		{in: "2026-03-01Z", want: "1772323200.000000000"},
		{in: "2026-13-01", wantErr: true},
		{in: "bogus", wantErr: true},
		{in: "12.x", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseTimestamp(tt.in, now)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%q: no error, got %q", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestLogsOptionsSinceUntil(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	got, err := LogsOptions{Since: "1m", Until: "2026-03-01T11:00:00Z", Tail: "all"}.apiOptions(now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Since != "1772366340" || got.Until != "1772362800.000000000" || !got.ShowStdout || !got.ShowStderr {
		t.Errorf("got %+v", got)
	}
	_, err = LogsOptions{Since: "bogus"}.apiOptions(now)
	if want := `invalid value for "since": failed to parse value as time or duration: "bogus"`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
