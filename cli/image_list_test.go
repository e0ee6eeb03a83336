package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/moby/moby/api/types/image"
)

var testNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

const (
	testID1     = "sha256:fdd5464b27865e4a4ff3559b951df9760177d891f69f143c196b09f5d9a2af08"
	testID2     = "sha256:ed166b0e236904cd275faa6c14009dbcf3ed07ecf8be9a8bc5206305a3741c77"
	testDigest1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
)

func testImages() []image.Summary {
	return []image.Summary{
		{
			ID:          testID1,
			RepoTags:    []string{"bb:1", "docker.io/library/bb:latest", "example.com/team/bb:2"},
			RepoDigests: []string{"bb@" + testDigest1},
			Created:     testNow.Add(-time.Hour).Unix(),
			Size:        1982256,
			Containers:  -1,
			SharedSize:  -1,
		},
		{
			ID:         testID2,
			Created:    testNow.Add(-50 * time.Hour).Unix(),
			Size:       4096,
			Containers: -1,
			SharedSize: -1,
		},
	}
}

func TestWriteImageList(t *testing.T) {
	tests := []struct {
		name string
		opts ImageListOptions
		want string
	}{
		{
			name: "default table",
			opts: ImageListOptions{},
			want: "" +
				"REPOSITORY            TAG       IMAGE ID       CREATED             SIZE\n" +
				"bb                    1         fdd5464b2786   About an hour ago   1.98MB\n" +
				"bb                    latest    fdd5464b2786   About an hour ago   1.98MB\n" +
				"example.com/team/bb   2         fdd5464b2786   About an hour ago   1.98MB\n" +
				"<none>                <none>    ed166b0e2369   2 days ago          4.1kB\n",
		},
		{
			name: "digests",
			opts: ImageListOptions{Digests: true},
			want: "" +
				"REPOSITORY            TAG       DIGEST                                                                    IMAGE ID       CREATED             SIZE\n" +
				"bb                    1         sha256:1111111111111111111111111111111111111111111111111111111111111111   fdd5464b2786   About an hour ago   1.98MB\n" +
				"bb                    latest    sha256:1111111111111111111111111111111111111111111111111111111111111111   fdd5464b2786   About an hour ago   1.98MB\n" +
				"example.com/team/bb   2         <none>                                                                    fdd5464b2786   About an hour ago   1.98MB\n" +
				"<none>                <none>    <none>                                                                    ed166b0e2369   2 days ago          4.1kB\n",
		},
		{
			name: "no-trunc",
			opts: ImageListOptions{NoTrunc: true, Format: "table {{.Repository}}\t{{.ID}}"},
			want: "" +
				"REPOSITORY            IMAGE ID\n" +
				"bb                    " + testID1 + "\n" +
				"bb                    " + testID1 + "\n" +
				"example.com/team/bb   " + testID1 + "\n" +
				"<none>                " + testID2 + "\n",
		},
		{
			name: "quiet",
			opts: ImageListOptions{Quiet: true},
			want: "fdd5464b2786\nfdd5464b2786\nfdd5464b2786\ned166b0e2369\n",
		},
		{
			name: "quiet no-trunc",
			opts: ImageListOptions{Quiet: true, NoTrunc: true},
			want: testID1 + "\n" + testID1 + "\n" + testID1 + "\n" + testID2 + "\n",
		},
		{
			name: "table with one column",
			opts: ImageListOptions{Format: "table {{.Repository}}"},
			want: "REPOSITORY\nbb\nbb\nexample.com/team/bb\n<none>\n",
		},
		{
			name: "table with escaped tab and digest column added",
			opts: ImageListOptions{Format: `table {{.Repository}}\t{{.Tag}}`, Digests: true},
			want: "" +
				"REPOSITORY            TAG       DIGEST\n" +
				"bb                    1         " + testDigest1 + "\n" +
				"bb                    latest    " + testDigest1 + "\n" +
				"example.com/team/bb   2         <none>\n" +
				"<none>                <none>    <none>\n",
		},
		{
			name: "plain template with functions",
			opts: ImageListOptions{Format: `{{upper .Repository}}:{{.Tag}} {{truncate .ID 4}} {{join (split .Repository "/") "|"}}`},
			want: "BB:1 fdd5 bb\nBB:latest fdd5 bb\nEXAMPLE.COM/TEAM/BB:2 fdd5 example.com|team|bb\n<NONE>:<none> ed16 <none>\n",
		},
		{
			name: "json",
			opts: ImageListOptions{Format: "json", Reference: "bb"},
			want: `{"Containers":"N/A","CreatedAt":"2026-11-26 09:00:00 +0000 UTC","CreatedSince":"About an hour ago","Digest":"\u003cnone\u003e","ID":"fdd5464b2786","Repository":"bb","SharedSize":"N/A","Size":"1.98MB","Tag":"1","UniqueSize":"N/A","VirtualSize":"1.982MB"}` + "\n" +
				`{"Containers":"N/A","CreatedAt":"2026-11-26 09:00:00 +0000 UTC","CreatedSince":"About an hour ago","Digest":"\u003cnone\u003e","ID":"fdd5464b2786","Repository":"bb","SharedSize":"N/A","Size":"1.98MB","Tag":"latest","UniqueSize":"N/A","VirtualSize":"1.982MB"}` + "\n" +
				`{"Containers":"N/A","CreatedAt":"2026-11-26 09:00:00 +0000 UTC","CreatedSince":"About an hour ago","Digest":"\u003cnone\u003e","ID":"fdd5464b2786","Repository":"example.com/team/bb","SharedSize":"N/A","Size":"1.98MB","Tag":"2","UniqueSize":"N/A","VirtualSize":"1.982MB"}` + "\n" +
				`{"Containers":"N/A","CreatedAt":"2026-11-24 08:00:00 +0000 UTC","CreatedSince":"2 days ago","Digest":"\u003cnone\u003e","ID":"ed166b0e2369","Repository":"\u003cnone\u003e","SharedSize":"N/A","Size":"4.1kB","Tag":"\u003cnone\u003e","UniqueSize":"N/A","VirtualSize":"4.096kB"}` + "\n",
		},
		{
			name: "json template",
			opts: ImageListOptions{Format: "{{json .Repository}}"},
			want: "\"bb\"\n\"bb\"\n\"example.com/team/bb\"\n\"<none>\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = testNow
			var out bytes.Buffer
			if err := writeImageList(&out, testImages(), tt.opts); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestImageRowsDigestOnly(t *testing.T) {
	img := image.Summary{ID: testID1, RepoDigests: []string{"example.com/x@" + testDigest1}}
	tests := []struct {
		name        string
		withDigests bool
		wantTag     string
		wantDigest  string
	}{
		{"without --digests", false, "<none>", ""},
		{"with --digests", true, "<none>", testDigest1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := imageRows(img, tt.withDigests, tt.withDigests)
			if len(rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(rows))
			}
			r := rows[0]
			if r.Repository() != "example.com/x" || r.Tag() != tt.wantTag || r.Digest() != tt.wantDigest {
				t.Errorf("got %s %s %s", r.Repository(), r.Tag(), r.Digest())
			}
		})
	}
}

func TestWriteImageListBadTemplate(t *testing.T) {
	var out bytes.Buffer
	err := writeImageList(&out, testImages(), ImageListOptions{Format: "{{.Repository"})
	if err == nil || out.Len() != 0 {
		t.Fatalf("got err %v, output %q; want a parse error and no output", err, out.String())
	}
	err = writeImageList(&out, testImages(), ImageListOptions{Format: "{{.Nope}}"})
	if err == nil {
		t.Fatal("want an error for an unknown field")
	}
}

func TestImageListAPIOptions(t *testing.T) {
	f := newFilterValue()
	if err := f.Set("dangling=true"); err != nil {
		t.Fatal(err)
	}
	opts := ImageListOptions{All: true, Reference: "bb:1", Filters: f.value()}
	got := opts.apiOptions()
	if !got.All || !got.Filters["reference"]["bb:1"] || !got.Filters["dangling"]["true"] {
		t.Errorf("got %+v", got)
	}
	if _, ok := opts.Filters["reference"]; ok {
		t.Error("apiOptions modified the options' filters")
	}
	if err := f.Set("novalue"); err == nil {
		t.Error("want an error for a filter without '='")
	}
}
