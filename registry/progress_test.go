package registry

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/berth/berth/api"
	"github.com/opencontainers/go-digest"
)

type recorder []api.Message

func (r *recorder) Send(m api.Message) { *r = append(*r, m) }

func TestProgressMessages(t *testing.T) {
	var out recorder
	p := Progress{Out: &out, ID: ShortID(digest.FromString("layer"))}
	p.Status("Pulling fs layer")
	p.Bytes("Downloading", 32768, 3146838)
	got := []string{}
	for _, m := range out {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	want := []string{
		`{"status":"Pulling fs layer","progressDetail":{},"id":"` + p.ID + `"}`,
		`{"status":"Downloading","progressDetail":{"current":32768,"total":3146838},"progress":"[\u003e                                                  ]  32.77kB/3.147MB","id":"` + p.ID + `"}`,
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	if len(p.ID) != 12 {
		t.Errorf("ShortID %q", p.ID)
	}
}

func TestProgressBar(t *testing.T) {
	for _, tc := range []struct {
		current, total int64
		want           string
	}{
		{0, 100, "[>                                                  ]       0B/100B"},
		{50, 100, "[=========================>                         ]      50B/100B"},
		{100, 100, "[==================================================>]     100B/100B"},
		{1500000, 0, "1.5MB"},
		{200, 100, "[==================================================>]     200B"},
	} {
		if got := ProgressBar(tc.current, tc.total); got != tc.want {
			t.Errorf("ProgressBar(%d, %d) = %q, want %q", tc.current, tc.total, got, tc.want)
		}
	}
}

func TestProgressReader(t *testing.T) {
	var out recorder
	data := bytes.Repeat([]byte("x"), 10<<20)
	r := Progress{Out: &out, ID: "abc"}.Reader(bytes.NewReader(data), "Extracting", int64(len(data)))
	n, err := io.Copy(io.Discard, r)
	if err != nil || n != int64(len(data)) {
		t.Fatal(n, err)
	}
	// A fast read reports once or a few times (rate-limited), always
	// ending with the total.
	if len(out) == 0 || len(out) > 5 {
		t.Fatalf("%d messages: %+v", len(out), out)
	}
	last := out[len(out)-1]
	if last.Status != "Extracting" || last.ID != "abc" || last.ProgressDetail.Current != int64(len(data)) || last.ProgressDetail.Total != int64(len(data)) {
		t.Errorf("last message %+v %+v", last, last.ProgressDetail)
	}
}
