package server

import (
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestFraming(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	a := newAttachment(w, true, true, true)
	a.write(streamStderr, []byte("hello"))
	a.close()
	got, _ := io.ReadAll(r)
	if want := "\x02\x00\x00\x00\x00\x00\x00\x05hello"; string(got) != want {
		t.Errorf("frame %q, want %q", got, want)
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		ws   unix.WaitStatus
		want int
	}{
		{3 << 8, 3},               // exited with status 3
		{unix.WaitStatus(9), 137}, // killed by SIGKILL
		{unix.WaitStatus(15), 143},
	} {
		if got := exitCode(tc.ws); got != tc.want {
			t.Errorf("exitCode(%#x) = %d, want %d", tc.ws, got, tc.want)
		}
	}
}
