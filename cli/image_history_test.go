package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/image"
)

func testHistory() []image.HistoryResponseItem {
	return []image.HistoryResponseItem{
		{
			ID:        testID1,
			Created:   testNow.Add(-2 * time.Hour).Unix(),
			CreatedBy: "/bin/sh -c #(nop)  CMD [\"/bin/busybox\" \"sh\"]",
			Size:      0,
			Tags:      []string{"bb:1"},
		},
		{
			ID:        "",
			Created:   testNow.Add(-3 * time.Hour).Unix(),
			CreatedBy: "/bin/sh -c #(nop) COPY file:0123456789abcdef0123456789abcdef in /bin/\t",
			Size:      1982256,
			Comment:   "imported busybox",
		},
	}
}

func TestWriteImageHistory(t *testing.T) {
	tests := []struct {
		name string
		opts ImageHistoryOptions
		want string
	}{
		{
			name: "default table",
			opts: ImageHistoryOptions{Human: true},
			want: "" +
				"IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT\n" +
				"fdd5464b2786   2 hours ago   /bin/sh -c #(nop)  CMD [\"/bin/busybox\" \"sh\"]    0B        \n" +
				"<missing>      3 hours ago   /bin/sh -c #(nop) COPY file:0123456789abcdef…   1.98MB    imported busybox\n",
		},
		{
			name: "not human",
			opts: ImageHistoryOptions{Human: false},
			want: "" +
				"IMAGE          CREATED AT             CREATED BY                                      SIZE      COMMENT\n" +
				"fdd5464b2786   2026-11-26T08:00:00Z   /bin/sh -c #(nop)  CMD [\"/bin/busybox\" \"sh\"]    0         \n" +
				"<missing>      2026-11-26T07:00:00Z   /bin/sh -c #(nop) COPY file:0123456789abcdef…   1982256   imported busybox\n",
		},
		{
			name: "quiet",
			opts: ImageHistoryOptions{Human: true, Quiet: true},
			want: "fdd5464b2786\n<missing>\n",
		},
		{
			name: "no-trunc",
			opts: ImageHistoryOptions{Human: true, NoTrunc: true, Format: "{{.ID}}|{{.CreatedBy}}"},
			want: testID1 + "|/bin/sh -c #(nop)  CMD [\"/bin/busybox\" \"sh\"]\n" +
				"<missing>|/bin/sh -c #(nop) COPY file:0123456789abcdef0123456789abcdef in /bin/ \n",
		},
		{
			name: "json",
			opts: ImageHistoryOptions{Human: true, Format: "json"},
			want: `{"Comment":"","CreatedAt":"2026-11-26T08:00:00Z","CreatedBy":"/bin/sh -c #(nop)  CMD [\"/bin/busybox\" \"sh\"]","CreatedSince":"2 hours ago","ID":"fdd5464b2786","Size":"0B"}` + "\n" +
				`{"Comment":"imported busybox","CreatedAt":"2026-11-26T07:00:00Z","CreatedBy":"/bin/sh -c #(nop) COPY file:0123456789abcdef…","CreatedSince":"3 hours ago","ID":"\u003cmissing\u003e","Size":"1.98MB"}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = testNow
			var out bytes.Buffer
			if err := writeImageHistory(&out, testHistory(), tt.opts); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", strings.ReplaceAll(got, " ", "·"), strings.ReplaceAll(tt.want, " ", "·"))
			}
		})
	}
}
