package daemon

import "testing"

func TestParsePS(t *testing.T) {
	out := "UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 10:00 ? 00:00:01 /sbin/init\nroot 42 1 0 10:01 ? 00:00:00 sh -c sleep 100\nroot 43 42 0 10:01 ? 00:00:00 sleep 100\n"
	resp, err := parsePS(out, []int{42, 43})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Titles) != 8 || len(resp.Processes) != 2 {
		t.Fatalf("resp %+v", resp)
	}
	if got := resp.Processes[0][7]; got != "sh -c sleep 100" {
		t.Errorf("command column %q", got)
	}
	if _, err := parsePS("USER COMMAND\nroot x\n", nil); err == nil {
		t.Error("ps output without PID accepted")
	}
}

func TestParseSignalAndDetachKeys(t *testing.T) {
	for in, want := range map[string]int{"KILL": 9, "SIGTERM": 15, "9": 9, "hup": 1, "SIGUSR1": 10} {
		if got, err := ParseSignal(in); err != nil || int(got) != want {
			t.Errorf("ParseSignal(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"NOPE", "0", "99", ""} {
		if _, err := ParseSignal(bad); err == nil {
			t.Errorf("ParseSignal(%q) accepted", bad)
		}
	}
	keys, err := parseDetachKeys("")
	if err != nil || len(keys) != 2 || keys[0] != 16 || keys[1] != 17 {
		t.Errorf("default detach keys %v %v", keys, err)
	}
	if keys, err := parseDetachKeys("ctrl-a,x"); err != nil || keys[0] != 1 || keys[1] != 'x' {
		t.Errorf("ctrl-a,x = %v %v", keys, err)
	}
	if _, err := parseDetachKeys("ctrl-1"); err == nil {
		t.Error("ctrl-1 accepted")
	}
}
