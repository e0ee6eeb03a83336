package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
)

func TestDisplayJSONStreamPlain(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{
			name: "load",
			in:   `{"stream":"Loaded image: x:1\n"}`,
			want: "Loaded image: x:1\n",
		},
		{
			name: "import status",
			in:   `{"status":"sha256:abc"}` + "\n",
			want: "sha256:abc\n",
		},
		{
			name: "pull without progress bars",
			in: `{"status":"Pulling from library/bb","id":"1"}
{"status":"Pulling fs layer","progressDetail":{},"id":"aaa"}
{"status":"Downloading","progressDetail":{"current":10,"total":100},"progress":"[=>  ] 10B/100B","id":"aaa"}
{"status":"Download complete","progressDetail":{},"id":"aaa"}
{"status":"Digest: sha256:123"}
{"status":"Status: Downloaded newer image for bb:1"}`,
			want: "1: Pulling from library/bb\naaa: Pulling fs layer\naaa: Download complete\nDigest: sha256:123\nStatus: Downloaded newer image for bb:1\n",
		},
		{
			name: "build output",
			in:   `{"stream":"Step 1/2 : FROM scratch\n"}{"stream":" ---\u003e Running\n"}`,
			want: "Step 1/2 : FROM scratch\n ---> Running\n",
		},
		{
			name: "legacy progress string without detail",
			in:   `{"status":"Extracting","progress":"[==>  ] 1/2"}`,
			want: "Extracting [==>  ] 1/2",
		},
		{
			name:    "errorDetail stops the stream",
			in:      `{"stream":"one\n"}{"errorDetail":{"code":1,"message":"no space left"},"error":"no space left"}{"stream":"two\n"}`,
			want:    "one\n",
			wantErr: "no space left",
		},
		{
			name:    "legacy error string",
			in:      `{"error":"failed"}`,
			wantErr: "failed",
		},
		{
			name:    "not JSON",
			in:      `{"stream":"ok\n"} garbage`,
			want:    "ok\n",
			wantErr: "invalid character",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := displayJSONStream(strings.NewReader(tt.in), &out, streamOptions{})
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestDisplayJSONStreamErrorCode(t *testing.T) {
	err := displayJSONStream(strings.NewReader(`{"errorDetail":{"code":404,"message":"not found"}}`), &bytes.Buffer{}, streamOptions{})
	je, ok := err.(*jsonstream.Error)
	if !ok || je.Code != 404 || je.Message != "not found" {
		t.Fatalf("got %#v", err)
	}
}

func TestDisplayJSONStreamAux(t *testing.T) {
	var aux []string
	var out bytes.Buffer
	in := `{"stream":"Successfully built\n"}{"aux":{"ID":"sha256:abc"}}`
	err := displayJSONStream(strings.NewReader(in), &out, streamOptions{aux: func(m json.RawMessage) { aux = append(aux, string(m)) }})
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "Successfully built\n" || len(aux) != 1 || aux[0] != `{"ID":"sha256:abc"}` {
		t.Errorf("got output %q, aux %q", out.String(), aux)
	}
}

func TestDisplayJSONStreamTerminal(t *testing.T) {
	in := `{"status":"Loading layer","progressDetail":{"current":1000,"total":2000},"id":"l1"}
{"status":"Loading layer","progressDetail":{"current":2000,"total":2000},"id":"l1"}
{"stream":"Loaded image: x:1\n"}`
	var out bytes.Buffer
	if err := displayJSONStream(strings.NewReader(in), &out, streamOptions{terminal: true, width: 80}); err != nil {
		t.Fatal(err)
	}
	want := "\n" +
		"\x1b[1A\x1b[2K\rl1: Loading layer      1kB/2kB\r\x1b[1B" +
		"\x1b[1A\x1b[2K\rl1: Loading layer      2kB/2kB\r\x1b[1B" +
		"Loaded image: x:1\n"
	if got := out.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestProgressBar(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name  string
		p     jsonstream.Progress
		width int
		want  string
	}{
		{"nothing", jsonstream.Progress{}, 200, ""},
		{"no total", jsonstream.Progress{Current: 2048}, 200, " 2.048kB"},
		{"units", jsonstream.Progress{Current: 3, Units: "files"}, 200, "3 files"},
		{"narrow", jsonstream.Progress{Current: 50, Total: 100}, 80, "     50B/100B"},
		{"wide", jsonstream.Progress{Current: 50, Total: 100}, 120, "[=========================>                         ]      50B/100B"},
		{"time left", jsonstream.Progress{Current: 50, Total: 100, Start: 990}, 80, "     50B/100B 10s"},
		{"hide counts", jsonstream.Progress{Current: 50, Total: 100, HideCounts: true}, 80, ""},
		{"current beyond total", jsonstream.Progress{Current: 150, Total: 100}, 80, "    150B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressBar(tt.p, tt.width, now); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
