package cli

import (
	"errors"
	"syscall"
	"testing"
)

func TestStartErrorStatus(t *testing.T) {
	tests := []struct {
		msg  string
		want int
	}{
		{`Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nonexist": executable file not found in $PATH: unknown`, 127},
		{`Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/etc/passwd": permission denied: unknown`, 126},
		{`Error response from daemon: exec: "/bin": is a directory`, 126},
		{`Error response from daemon: open /x: no such file or directory`, 127},
		{`Error response from daemon: Conflict. The container name "/x" is already in use`, 125},
		{`Error response from daemon: No such image: x:latest`, 125},
	}
	for _, tt := range tests {
		if got := startErrorStatus(errors.New(tt.msg)); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.msg, got, tt.want)
		}
	}
}

func TestRunError(t *testing.T) {
	err := runError(errors.New("Error response from daemon: No such image: x:latest"))
	var se StatusError
	if !errors.As(err, &se) || se.StatusCode != 125 {
		t.Fatalf("got %#v", err)
	}
	want := "berth: Error response from daemon: No such image: x:latest\n\nRun 'berth run --help' for more information"
	if se.Status != want {
		t.Errorf("message %q, want %q", se.Status, want)
	}
}

func TestCheckDetachKeys(t *testing.T) {
	tests := []struct {
		keys string
		ok   bool
	}{
		{"", true},
		{"ctrl-p,ctrl-q", true},
		{"ctrl-a", true},
		{"a,b,c", true},
		{"ctrl-@", true},
		{"xyz", false},
		{"ctrl-", false},
		{"ctrl-pq", false},
	}
	for _, tt := range tests {
		err := checkDetachKeys(tt.keys)
		if (err == nil) != tt.ok {
			t.Errorf("%q: error %v, want ok=%v", tt.keys, err, tt.ok)
		}
	}
	if err := checkDetachKeys("xyz"); err == nil || err.Error() != "Invalid detach keys (xyz) provided" {
		t.Errorf("message: %v", err)
	}
}

func TestForwardedSignal(t *testing.T) {
	tests := map[string]string{"interrupt": "INT", "terminated": "TERM", "hangup": "HUP", "child exited": "", "broken pipe": "", "urgent I/O condition": "", "window changed": ""}
	for _, s := range allSignals() {
		want, ok := tests[s.String()]
		if !ok {
			continue
		}
		if got := forwardedSignal(s); got != want {
			t.Errorf("%v: %q, want %q", s, got, want)
		}
	}
}

func allSignals() []syscall.Signal {
	var s []syscall.Signal
	for i := syscall.Signal(1); i < 32; i++ {
		s = append(s, i)
	}
	return s
}
