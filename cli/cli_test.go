package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// run runs berth with args and an environment, and returns its exit
// status, standard output and standard error.
func run(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := New(strings.NewReader(stdin), &out, &errOut, func(k string) string { return env[k] })
	code := c.Run(t.Context(), args)
	return code, out.String(), errOut.String()
}

// fakeDaemon serves handler on a unix socket and returns its address.
// It answers /_ping with API version 1.44, so requests go to /v1.44/....
func fakeDaemon(t *testing.T, handler http.Handler) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "d.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.44")
		_, _ = w.Write([]byte("OK"))
	})
	mux.Handle("/v1.44/", http.StripPrefix("/v1.44", handler))
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "unix://" + sock
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string // prefix of standard error
		wantOut  string // prefix of standard output
	}{
		{
			name:     "unknown command",
			args:     []string{"foo"},
			wantCode: 1,
			wantErr:  "berth: unknown command: berth foo\n\nRun 'berth --help' for more information\n",
		},
		{
			name:     "unknown subcommand",
			args:     []string{"image", "foo"},
			wantCode: 1,
			wantErr:  "berth: unknown command: berth image foo\n\nUsage:  berth image\n\nRun 'berth image --help' for more information\n",
		},
		{
			name:     "unknown flag",
			args:     []string{"images", "--foo"},
			wantCode: 125,
			wantErr:  "unknown flag: --foo\n\nUsage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nRun 'berth images --help' for more information\n",
		},
		{
			name:     "global flag after the command",
			args:     []string{"images", "-H", "unix:///x"},
			wantCode: 125,
			wantErr:  "unknown shorthand flag: 'H' in -H\n",
		},
		{
			name:     "unknown global flag",
			args:     []string{"--foo"},
			wantCode: 125,
			wantErr:  "unknown flag: --foo\n\nUsage:  berth [OPTIONS] COMMAND [ARG...]\n\nRun 'berth --help' for more information\n",
		},
		{
			name:     "bad flag value",
			args:     []string{"image", "ls", "-f", "dangling"},
			wantCode: 125,
			wantErr:  `invalid argument "dangling" for "-f, --filter" flag: bad format of filter (expected name=value)`,
		},
		{
			name:     "missing argument",
			args:     []string{"history"},
			wantCode: 1,
			wantErr:  "berth: 'berth history' requires 1 argument\n\nUsage:  berth history [OPTIONS] IMAGE\n\nRun 'berth history --help' for more information\n",
		},
		{
			name:     "too many arguments",
			args:     []string{"version", "x"},
			wantCode: 1,
			wantErr:  "berth: 'berth version' accepts no arguments",
		},
		{
			name:     "bad log level",
			args:     []string{"-l", "loud", "images"},
			wantCode: 1,
			wantErr:  "Unable to parse logging level: loud\n",
		},
		{
			name:     "bad template",
			args:     []string{"-H", "unix:///nonexistent/x.sock", "version", "--format", "{{.Client"},
			wantCode: 64,
			wantErr:  "template parsing error: ",
		},
		{
			name:     "no command prints help",
			args:     nil,
			wantCode: 0,
			wantErr:  "Usage:  berth [OPTIONS] COMMAND\n",
		},
		{
			name:     "version flag",
			args:     []string{"-v"},
			wantCode: 0,
			wantOut:  "Berth version " + Version + ", build " + GitCommit + "\n",
		},
		{
			name:     "help flag",
			args:     []string{"images", "--help"},
			wantCode: 0,
			wantOut:  "Usage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nList images\n\nAliases:\n  berth image ls, berth image list, berth images\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, nil, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if !strings.HasPrefix(errOut, tt.wantErr) {
				t.Errorf("stderr %q, want prefix %q", errOut, tt.wantErr)
			}
			if !strings.HasPrefix(out, tt.wantOut) {
				t.Errorf("stdout %q, want prefix %q", out, tt.wantOut)
			}
		})
	}
}

func TestConnectionFailure(t *testing.T) {
	host := "unix://" + filepath.Join(t.TempDir(), "berth.sock")
	code, _, errOut := run(t, map[string]string{"BERTH_HOST": host}, "", "images")
	want := "Cannot connect to the Berth daemon at " + host + ". Is the daemon running?\n"
	if code != 1 || errOut != want {
		t.Errorf("got %d %q, want 1 %q", code, errOut, want)
	}
}

func TestDaemonError(t *testing.T) {
	host := fakeDaemon(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "No such image: x:1"})
	}))
	code, out, errOut := run(t, nil, "", "-H", host, "history", "x:1")
	if code != 1 || out != "" || errOut != "Error response from daemon: No such image: x:1\n" {
		t.Errorf("got %d %q %q", code, out, errOut)
	}
}

func TestImageRemoveContinuesAfterError(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("DELETE /images/{name}", func(w http.ResponseWriter, r *http.Request) {
		switch name := r.PathValue("name"); name {
		case "a", "b":
			writeJSON(w, http.StatusOK, []map[string]string{{"Untagged": name + ":latest"}, {"Deleted": "sha256:" + name}})
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "No such image: " + name + ":latest"})
		}
	})
	host := fakeDaemon(t, mux)

	code, out, errOut := run(t, nil, "", "-H", host, "rmi", "a", "nosuch", "b")
	wantOut := "Untagged: a:latest\nDeleted: sha256:a\nUntagged: b:latest\nDeleted: sha256:b\n"
	if code != 1 || out != wantOut || errOut != "Error response from daemon: No such image: nosuch:latest\n" {
		t.Errorf("got %d %q %q", code, out, errOut)
	}

	// With --force a missing image is reported but is no failure.
	code, _, errOut = run(t, nil, "", "-H", host, "image", "rm", "-f", "nosuch")
	if code != 0 || errOut != "Error response from daemon: No such image: nosuch:latest\n" {
		t.Errorf("--force: got %d %q", code, errOut)
	}
}

func TestImagePrunePrompt(t *testing.T) {
	pruned := false
	mux := http.NewServeMux()
	mux.HandleFunc("POST /images/prune", func(w http.ResponseWriter, r *http.Request) {
		pruned = true
		if got := r.URL.Query().Get("filters"); got != `{"dangling":{"true":true}}` {
			t.Errorf("filters %s", got)
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"ImagesDeleted":  []map[string]string{{"Untagged": "x:1"}, {"Deleted": "sha256:x"}},
			"SpaceReclaimed": 2_000_000,
		})
	})
	host := fakeDaemon(t, mux)

	code, out, _ := run(t, nil, "n\n", "-H", host, "image", "prune")
	if code != 0 || pruned || !strings.HasSuffix(out, "Are you sure you want to continue? [y/N] ") {
		t.Errorf("declined: got %d %q, pruned %v", code, out, pruned)
	}
	code, out, _ = run(t, nil, "y\n", "-H", host, "image", "prune")
	want := "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] " +
		"Deleted Images:\nuntagged: x:1\ndeleted: sha256:x\n\nTotal reclaimed space: 2MB\n"
	if code != 0 || !pruned || out != want {
		t.Errorf("confirmed: got %d %q", code, out)
	}
}

func TestImageLoadRendersStream(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /images/load", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("quiet") != "1" {
			t.Error("load off a terminal should ask for quiet output")
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"stream":"Loaded image: x:1\n"}` + "\n"))
	})
	host := fakeDaemon(t, mux)
	code, out, errOut := run(t, nil, "tar data", "-H", host, "load")
	if code != 0 || out != "Loaded image: x:1\n" || errOut != "" {
		t.Errorf("got %d %q %q", code, out, errOut)
	}
}
