package cli

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeEngine is a daemon that runs one pretend container: its output is
// written to the attach stream once it is started, then it exits.
type fakeEngine struct {
	t *testing.T
	fakeScript

	mu    sync.Mutex
	calls []string // "METHOD /path", in the order received
	stdin string   // what the attach stream received

	started chan struct{}
	exited  chan struct{}
}

// fakeScript is what the pretend container does.
type fakeScript struct {
	stdout   string
	stderr   string
	exitCode int
	startErr string // the start's error message; "" starts it
	noImage  int    // how many creates answer "No such image"
}

func newFakeEngine(t *testing.T, script fakeScript) *fakeEngine {
	return &fakeEngine{t: t, fakeScript: script, started: make(chan struct{}), exited: make(chan struct{})}
}

func (f *fakeEngine) record(r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
}

func (f *fakeEngine) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

const fakeID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.record(r)
	switch {
	case r.URL.Path == "/containers/create":
		f.mu.Lock()
		missing := f.noImage > 0
		f.noImage--
		f.mu.Unlock()
		if missing {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "No such image: busybox:latest"})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"Id": fakeID, "Warnings": []string{}})
	case r.URL.Path == "/images/create":
		writeJSON(w, http.StatusOK, map[string]string{"status": "Pulled"})
	case strings.HasSuffix(r.URL.Path, "/attach"):
		f.attach(w, r)
	case strings.HasSuffix(r.URL.Path, "/wait"):
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-f.exited
		_ = json.NewEncoder(w).Encode(map[string]any{"StatusCode": f.exitCode, "Error": nil})
	case strings.HasSuffix(r.URL.Path, "/start"):
		if f.startErr != "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": f.startErr})
			close(f.exited)
			return
		}
		close(f.started)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "page not found"})
	}
}

// attach hijacks the connection, reads stdin until the client half-closes
// it, and writes the framed output once the container is started.
func (f *fakeEngine) attach(w http.ResponseWriter, r *http.Request) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		f.t.Error(err)
		return
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
	stdinDone := make(chan struct{})
	go func() {
		in, _ := io.ReadAll(buf)
		f.mu.Lock()
		f.stdin = string(in)
		f.mu.Unlock()
		close(stdinDone)
	}()
	select {
	case <-f.started:
	case <-f.exited:
		return
	}
	if r.URL.Query().Get("stdin") == "1" {
		<-stdinDone
	}
	writeFrame(conn, 1, f.stdout)
	writeFrame(conn, 2, f.stderr)
	close(f.exited)
}

func writeFrame(w io.Writer, stream byte, payload string) {
	if payload == "" {
		return
	}
	header := [8]byte{stream}
	binary.BigEndian.PutUint32(header[4:], uint32(len(payload)))
	_, _ = w.Write(append(header[:], payload...))
}

func TestRunCallSequence(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		stdin     string
		script    fakeScript
		wantCode  int
		wantOut   string
		wantErr   string
		wantCalls []string
		wantStdin string
	}{
		{
			name:     "attached",
			args:     []string{"run", "busybox", "sh"},
			script:   fakeScript{stdout: "out\n", stderr: "err\n", exitCode: 3},
			wantCode: 3, wantOut: "out\n", wantErr: "err\n",
			wantCalls: []string{"POST /containers/create", "POST /containers/" + fakeID + "/attach",
				"POST /containers/" + fakeID + "/wait", "POST /containers/" + fakeID + "/start"},
		},
		{
			name:      "stdin",
			args:      []string{"run", "-i", "--rm", "busybox", "cat"},
			stdin:     "abc\n",
			script:    fakeScript{stdout: "abc\n"},
			wantOut:   "abc\n",
			wantStdin: "abc\n",
			wantCalls: []string{"POST /containers/create", "POST /containers/" + fakeID + "/attach",
				"POST /containers/" + fakeID + "/wait", "POST /containers/" + fakeID + "/start"},
		},
		{
			name:     "command not found",
			args:     []string{"run", "busybox", "nonexist"},
			script:   fakeScript{startErr: `exec: "nonexist": executable file not found in $PATH: unknown`},
			wantCode: 127,
			wantErr:  "berth: Error response from daemon: exec: \"nonexist\": executable file not found in $PATH: unknown\n\nRun 'berth run --help' for more information\n",
		},
		{
			name:    "pull when missing",
			args:    []string{"run", "busybox", "true"},
			script:  fakeScript{noImage: 1},
			wantErr: "Unable to find image 'busybox:latest' locally\nPulled\n",
			wantCalls: []string{"POST /containers/create", "POST /images/create", "POST /containers/create",
				"POST /containers/" + fakeID + "/attach", "POST /containers/" + fakeID + "/wait", "POST /containers/" + fakeID + "/start"},
		},
		{
			name:      "pull never",
			args:      []string{"run", "--pull", "never", "busybox", "true"},
			script:    fakeScript{noImage: 1},
			wantCode:  125,
			wantErr:   "berth: Error response from daemon: No such image: busybox:latest\n\nRun 'berth run --help' for more information\n",
			wantCalls: []string{"POST /containers/create"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine(t, tt.script)
			host := fakeDaemon(t, f)
			code, out, errOut := run(t, map[string]string{"BERTH_HOST": host}, tt.stdin, tt.args...)
			if code != tt.wantCode || out != tt.wantOut || errOut != tt.wantErr {
				t.Errorf("got %d %q %q, want %d %q %q", code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
			}
			if calls := f.callList(); tt.wantCalls != nil && !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("calls\n%q\nwant\n%q", calls, tt.wantCalls)
			}
			if f.stdin != tt.wantStdin {
				t.Errorf("stdin %q, want %q", f.stdin, tt.wantStdin)
			}
		})
	}
}

func TestRunDetached(t *testing.T) {
	f := newFakeEngine(t, fakeScript{})
	close(f.exited)
	host := fakeDaemon(t, f)
	code, out, errOut := run(t, map[string]string{"BERTH_HOST": host}, "", "run", "-d", "busybox")
	if code != 0 || out != fakeID+"\n" || errOut != "" {
		t.Fatalf("got %d %q %q", code, out, errOut)
	}
	want := []string{"POST /containers/create", "POST /containers/" + fakeID + "/wait", "POST /containers/" + fakeID + "/start"}
	if calls := f.callList(); !slices.Equal(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
}
