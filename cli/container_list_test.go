package cli

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

var psNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func psFixture() []container.Summary {
	return []container.Summary{
		{
			ID:      "48b98fcaa11888da7f019b7a1b09efe512cbf77cd4da12280df84660308156bc",
			Names:   []string{"/web"},
			Image:   "busybox",
			ImageID: "sha256:e34697bb16eb764053641d64192ac701bad68bd21884d4833c89fe0dd53052ba",
			Command: "sh -c 'while true; do sleep 1; done'",
			Created: psNow.Add(-5 * time.Second).Unix(),
			State:   container.StateRunning,
			Status:  "Up 5 seconds",
			Ports: []container.PortSummary{
				{IP: netip.MustParseAddr("0.0.0.0"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
				{PrivatePort: 9000, Type: "udp"},
			},
			Labels: map[string]string{"b": "2", "a": "1"},
			SizeRw: 12,
		},
		{
			ID:         "c9c4cd53cd8d6a863b1e1a9344e7335eee2e5cce1243a4db3724e1545d4a1f64",
			Names:      []string{"/db"},
			Image:      "e34697bb16eb",
			ImageID:    "sha256:e34697bb16eb764053641d64192ac701bad68bd21884d4833c89fe0dd53052ba",
			Command:    "echo hi",
			Created:    psNow.Add(-2 * time.Minute).Unix(),
			State:      container.StateExited,
			Status:     "Exited (0) 2 minutes ago",
			SizeRootFs: 2 * 1000 * 1000,
		},
	}
}

func TestContainerListFormats(t *testing.T) {
	tests := []struct {
		name string
		opts ContainerListOptions
		size bool
		want string
	}{
		{
			name: "default table",
			want: "CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS                     PORTS                            NAMES\n" +
				"48b98fcaa118   busybox        \"sh -c 'while true; …\"   5 seconds ago   Up 5 seconds               9000/udp, 0.0.0.0:8080->80/tcp   web\n" +
				"c9c4cd53cd8d   e34697bb16eb   \"echo hi\"                2 minutes ago   Exited (0) 2 minutes ago                                    db\n",
		},
		{
			name: "quiet",
			opts: ContainerListOptions{Quiet: true},
			want: "48b98fcaa118\nc9c4cd53cd8d\n",
		},
		{
			name: "quiet wins over a format",
			opts: ContainerListOptions{Quiet: true, Format: "{{.Names}}"},
			want: "48b98fcaa118\nc9c4cd53cd8d\n",
		},
		{
			name: "no-trunc",
			opts: ContainerListOptions{NoTrunc: true, Format: "{{.ID}} {{.Command}}"},
			want: "48b98fcaa11888da7f019b7a1b09efe512cbf77cd4da12280df84660308156bc \"sh -c 'while true; do sleep 1; done'\"\n" +
				"c9c4cd53cd8d6a863b1e1a9344e7335eee2e5cce1243a4db3724e1545d4a1f64 \"echo hi\"\n",
		},
		{
			name: "template",
			opts: ContainerListOptions{Format: "{{.Names}}|{{.State}}|{{.Labels}}|{{.Label \"a\"}}|{{.RunningFor}}"},
			want: "web|running|a=1,b=2|1|5 seconds ago\ndb|exited|||2 minutes ago\n",
		},
		{
			name: "custom table",
			opts: ContainerListOptions{Format: "table {{.Names}}\t{{.Status}}"},
			want: "NAMES     STATUS\nweb       Up 5 seconds\ndb        Exited (0) 2 minutes ago\n",
		},
		{
			name: "size column",
			size: true,
			opts: ContainerListOptions{Format: "table {{.Names}}\t{{.Size}}"},
			want: "NAMES     SIZE\nweb       12B\ndb        0B (virtual 2MB)\n",
		},
		{
			name: "default table with size",
			size: true,
			opts: ContainerListOptions{Format: "table"},
			want: "CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS                     PORTS                            NAMES     SIZE\n" +
				"48b98fcaa118   busybox        \"sh -c 'while true; …\"   5 seconds ago   Up 5 seconds               9000/udp, 0.0.0.0:8080->80/tcp   web       12B\n" +
				"c9c4cd53cd8d   e34697bb16eb   \"echo hi\"                2 minutes ago   Exited (0) 2 minutes ago                                    db        0B (virtual 2MB)\n",
		},
		{
			name: "raw",
			opts: ContainerListOptions{Format: "raw"},
			want: "container_id: 48b98fcaa118\nimage: busybox\ncommand: \"sh -c 'while true; …\"\ncreated_at: 2026-03-01 11:59:55 +0000 UTC\nstate: running\nstatus: Up 5 seconds\nnames: web\nlabels: a=1,b=2\nports: 9000/udp, 0.0.0.0:8080->80/tcp\n\n" +
				"container_id: c9c4cd53cd8d\nimage: e34697bb16eb\ncommand: \"echo hi\"\ncreated_at: 2026-03-01 11:58:00 +0000 UTC\nstate: exited\nstatus: Exited (0) 2 minutes ago\nnames: db\nlabels:\nports:\n\n",
		},
		{
			name: "json",
			opts: ContainerListOptions{Format: "json"},
			want: `{"Command":"\"echo hi\"","CreatedAt":"2026-03-01 11:58:00 +0000 UTC","ID":"c9c4cd53cd8d","Image":"e34697bb16eb","Labels":"","LocalVolumes":"0","Mounts":"","Names":"db","Networks":"","Platform":null,"Ports":"","RunningFor":"2 minutes ago","Size":"0B (virtual 2MB)","State":"exited","Status":"Exited (0) 2 minutes ago"}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			containers := psFixture()
			if tt.name == "json" {
				containers = containers[1:]
			}
			var buf bytes.Buffer
			if err := writeContainerList(&buf, containers, tt.opts, tt.size, psNow); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestContainerCommandTruncation(t *testing.T) {
	tests := []struct{ command, want string }{
		{"echo hi", `"echo hi"`},
		{"12345678901234567890", `"12345678901234567890"`},
		{"123456789012345678901", `"1234567890123456789…"`},
		{`sh -c "exit 3"`, `"sh -c \"exit 3\""`},
		{"", `""`},
		{"échoéchoéchoéchoéchoécho", `"échoéchoéchoéchoéch…"`},
	}
	for _, tt := range tests {
		row := &containerRow{c: container.Summary{Command: tt.command}, trunc: true}
		if got := row.Command(); got != tt.want {
			t.Errorf("Command(%q) = %s, want %s", tt.command, got, tt.want)
		}
	}
}

func TestContainerListAPIOptions(t *testing.T) {
	tests := []struct {
		name      string
		opts      ContainerListOptions
		wantLimit int
		wantSize  bool
	}{
		{"default", ContainerListOptions{Last: -1}, -1, false},
		{"latest", ContainerListOptions{Last: -1, Latest: true}, 1, false},
		{"last wins over latest", ContainerListOptions{Last: 3, Latest: true}, 3, false},
		{"size from format", ContainerListOptions{Last: -1, Format: "{{.Size}}"}, -1, true},
		{"size off when asked", ContainerListOptions{Last: -1, Format: "{{.Size}}", SizeChanged: true}, -1, false},
		{"no size for quiet", ContainerListOptions{Last: -1, Format: "{{.Size}}", Quiet: true}, -1, false},
	}
	for _, tt := range tests {
		got, err := tt.opts.apiOptions()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.Limit != tt.wantLimit || got.Size != tt.wantSize {
			t.Errorf("%s: limit %d size %v, want %d %v", tt.name, got.Limit, got.Size, tt.wantLimit, tt.wantSize)
		}
	}
	if _, err := (ContainerListOptions{Format: "{{.ID"}).apiOptions(); err == nil {
		t.Error("bad template accepted")
	}
}
