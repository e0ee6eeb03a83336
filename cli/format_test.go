package cli

import (
	"bytes"
	"errors"
	"testing"
)

type testRow struct{ name, size string }

func (r *testRow) MarshalJSON() ([]byte, error) { return marshalMethods(r) }
func (r *testRow) Name() string                 { return r.name }
func (r *testRow) Size() string                 { return r.size }
func (r *testRow) Labels() []string             { return []string{"a", "b"} }
func (r *testRow) Label(k string) string        { return k }

func TestWriteList(t *testing.T) {
	rows := []any{&testRow{"short", "1B"}, &testRow{"a-much-longer-name", "10MB"}}
	headers := map[string]string{"Name": "NAME", "Size": "SIZE", "Labels": "LABELS"}
	tests := []struct {
		format string
		want   string
	}{
		{"table {{.Name}}\t{{.Size}}", "NAME                 SIZE\nshort                1B\na-much-longer-name   10MB\n"},
		{`table {{.Name}}\t{{.Size}}`, "NAME                 SIZE\nshort                1B\na-much-longer-name   10MB\n"},
		{"table", "\n\n\n"},
		{"{{.Name}}", "short\na-much-longer-name\n"},
		{"  {{.Name}}  ", "short\na-much-longer-name\n"},
		{`{{.Name}}\n`, "short\n\na-much-longer-name\n\n"},
		{"json", `{"Labels":["a","b"],"Name":"short","Size":"1B"}` + "\n" + `{"Labels":["a","b"],"Name":"a-much-longer-name","Size":"10MB"}` + "\n"},
		{"{{json .Labels}}", "[\"a\",\"b\"]\n[\"a\",\"b\"]\n"},
		{"table {{upper .Name}}\t{{json .Labels}}\t{{join .Labels \",\"}}", "NAME                 LABELS      LABELS\nSHORT                [\"a\",\"b\"]   a,b\nA-MUCH-LONGER-NAME   [\"a\",\"b\"]   a,b\n"},
		{"{{title .Name}}|{{lower (upper .Name)}}|{{truncate .Name 3}}|{{pad .Size 1 2}}|", "Short|short|sho| 1B  |\nA-Much-Longer-Name|a-much-longer-name|a-m| 10MB  |\n"},
		{`{{index (split .Name "-") 0}} {{.Label "k"}}`, "short k\na k\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var out bytes.Buffer
			if err := writeList(&out, listFormat(tt.format), headers, rows); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestWriteListEmptyTable(t *testing.T) {
	var out bytes.Buffer
	if err := writeList(&out, "table {{.Name}}\t{{.Size}}", map[string]string{"Name": "NAME", "Size": "SIZE"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "NAME      SIZE\n" {
		t.Errorf("got %q", got)
	}
}

func TestHumanHelpers(t *testing.T) {
	tests := []struct{ got, want string }{
		{humanSize(1982256), "1.98MB"},
		{humanSize(0), "0B"},
		{humanSize(4096), "4.1kB"},
		{humanAge(testNow.Add(-90*60e9), testNow), "2 hours ago"},
		{humanAge(testNow.Add(-60e9), testNow), "About a minute ago"},
		{humanAge(testNow, testNow), "Less than a second ago"},
		{shortID("sha256:fdd5464b27865e4a4ff3559b951df9760177d891"), "fdd5464b2786"},
		{shortID("abc"), "abc"},
		{ellipsis("hello world", 5), "hell…"},
		{ellipsis("hello", 5), "hello"},
		{titleCase("hello big_world-x"), "Hello Big_world-X"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestWriteInspect(t *testing.T) {
	objects := map[string]string{
		"a": `{"Id":"sha256:a","RepoTags":["a:1"],"Extra":{"K":"v"}}`,
		"b": `{"Id":"sha256:b","RepoTags":[]}`,
	}
	type typed struct{ Id string } //nolint:revive // the API's field name
	get := func(ref string) (any, []byte, error) {
		raw, ok := objects[ref]
		if !ok {
			return nil, nil, errors.New("Error response from daemon: No such image: " + ref)
		}
		return typed{Id: "sha256:" + ref}, []byte(raw), nil
	}
	tests := []struct {
		name     string
		refs     []string
		format   string
		want     string
		wantErr  string
		wantCode int
	}{
		{
			name: "indented array",
			refs: []string{"a", "b"},
			want: "[\n    {\n        \"Id\": \"sha256:a\",\n        \"RepoTags\": [\n            \"a:1\"\n        ],\n        \"Extra\": {\n            \"K\": \"v\"\n        }\n    },\n    {\n        \"Id\": \"sha256:b\",\n        \"RepoTags\": []\n    }\n]\n",
		},
		{name: "json", refs: []string{"b"}, format: "json", want: `[{"Id":"sha256:b","RepoTags":[]}]` + "\n"},
		{name: "template", refs: []string{"a", "b"}, format: "{{.Id}}", want: "sha256:a\nsha256:b\n"},
		{name: "field only in the raw object", refs: []string{"a"}, format: "{{.Extra.K}}", want: "v\n"},
		{
			name: "missing object", refs: []string{"nosuch", "a"}, format: "{{.Id}}",
			want: "sha256:a\n", wantErr: "Error response from daemon: No such image: nosuch", wantCode: 1,
		},
		{name: "nothing found", refs: []string{"nosuch"}, want: "[]\n", wantErr: "No such image", wantCode: 1},
		{name: "unknown field", refs: []string{"b"}, format: "{{.Nope}}", want: "\n", wantErr: `map has no entry for key "Nope"`, wantCode: 1},
		{name: "bad template", refs: []string{"a"}, format: "{{.Id", wantErr: "template parsing error", wantCode: 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := writeInspect(&out, tt.refs, tt.format, get)
			if got := out.String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.wantErr)) || exitCode(err) != tt.wantCode {
				t.Errorf("got error %v (exit %d), want %q (exit %d)", err, exitCode(err), tt.wantErr, tt.wantCode)
			}
		})
	}
}
