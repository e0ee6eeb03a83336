package server

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/berth/berth/runtime/shim/protocol"
)

// The shim's codec must agree with encoding/json, which berthd uses.

func TestParseStrings(t *testing.T) {
	for _, in := range []string{
		`"plain"`, `""`, `"esc \" \\ \/ \b \f \n \r \t"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00 pair"`,
		`"lone \ud800 surrogate"`, `"\ud800\u0041"`, `"raw ü utf-8"`,
	} {
		want := ""
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got, err := jsonString([]byte(in))
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", in, got, err, want)
		}
		if back := string(appendJSONString(nil, want)); !roundTrips(back, want) {
			t.Errorf("appendJSONString(%q) = %s", want, back)
		}
	}
}

func roundTrips(enc, want string) bool {
	var got string
	return json.Unmarshal([]byte(enc), &got) == nil && got == want
}

func TestParseObjectRejects(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1} x`, `["a"]`, `{"a":tru}`, `{"a":"x` + "\n" + `"}`, `{"a":[1,]}`, `{"a":1.2.3}`} {
		if _, err := parseObject([]byte(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

func TestDecodeOptions(t *testing.T) {
	want := protocol.Options{
		Runtime: "/usr/bin/runc", RuntimeArgs: []string{"--systemd-cgroup", "--debug"}, RuntimeRoot: "/run/berth/runtime/runc",
		Bundle: "/run/berth/containers/x", Tty: true, OpenStdin: true, StdinOnce: true, ExitFile: "/x/exit.json",
		Log: protocol.LogOptions{Driver: "local", Path: "/var/lib/berth/containers/x/local-logs/container.log", MaxSize: 20 << 20, MaxFiles: 5},
	}
	b, _ := json.MarshalIndent(want, "", "  ")
	got, err := decodeOptions(b)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v\nwant %+v", got, err, want)
	}
}

func TestDecodeRequest(t *testing.T) {
	in := `{"op":"exec","stdin":true,"height":24,"width":80,"signal":9,"all":true,"id":"e1","process":{"args":["sh","-c","echo \"hi\""],"terminal":false,"env":[]},"tty":true,"detach":false}`
	r, err := decodeRequest([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := request{op: "exec", stdin: true, height: 24, width: 80, signal: 9, all: true, id: "e1", tty: true,
		process: []byte(`{"args":["sh","-c","echo \"hi\""],"terminal":false,"env":[]}`)}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
	p, err := setTerminal(r.process, true)
	var proc map[string]any
	if err != nil || json.Unmarshal(p, &proc) != nil || proc["terminal"] != true || len(proc["args"].([]any)) != 3 {
		t.Errorf("setTerminal: %s, %v", p, err)
	}
}

func TestEncodeResponses(t *testing.T) {
	at := time.Date(2024, 5, 1, 10, 0, 0, 123, time.UTC)
	st := protocol.State{Pid: 42, Status: "running", ExitCode: 3, ExitedAt: at, ShimPid: 7}
	var gotSt protocol.State
	if err := json.Unmarshal(encodeState(st), &gotSt); err != nil || gotSt != st {
		t.Errorf("state %+v, %v", gotSt, err)
	}
	e := protocol.Exit{ExitCode: 137, ExitedAt: at, OOMKilled: true}
	var gotExit protocol.Exit
	if err := json.Unmarshal(encodeExit(e), &gotExit); err != nil || gotExit != e {
		t.Errorf("exit %+v, %v", gotExit, err)
	}
	var gotErr protocol.Error
	if err := json.Unmarshal(encodeError("bad \"thing\"\n", "conflict"), &gotErr); err != nil || gotErr.Error != "bad \"thing\"\n" || gotErr.Kind != "conflict" {
		t.Errorf("error %+v, %v", gotErr, err)
	}
}
