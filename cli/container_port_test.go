package cli

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

func TestWritePorts(t *testing.T) {
	ports := network.PortMap{
		network.MustParsePort("80/tcp"): {
			{HostIP: netip.MustParseAddr("0.0.0.0"), HostPort: "8080"},
			{HostIP: netip.MustParseAddr("::"), HostPort: "8080"},
		},
		network.MustParsePort("9000/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "9000"}},
		network.MustParsePort("443/udp"):  {{HostIP: netip.MustParseAddr("0.0.0.0"), HostPort: "1443"}},
		network.MustParsePort("7000/tcp"): nil, // exposed, not published
	}
	tests := []struct {
		port, want, wantErr string
	}{
		{port: "", want: "80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n443/udp -> 0.0.0.0:1443\n9000/tcp -> 127.0.0.1:9000\n"},
		{port: "80", want: "0.0.0.0:8080\n[::]:8080\n"},
		{port: "443/udp", want: "0.0.0.0:1443\n"},
		{port: "443", wantErr: "Error: No public port '443' published for web"},
		{port: "7000", wantErr: "Error: No public port '7000' published for web"},
		{port: "x", wantErr: `Error: invalid port (x): strconv.ParseUint: parsing "x": invalid syntax`},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		err := writePorts(&buf, ports, "web", tt.port)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%q: error %v, want %q", tt.port, err, tt.wantErr)
			}
			continue
		}
		if err != nil || buf.String() != tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.port, buf.String(), err, tt.want)
		}
	}
}

func TestWriteTop(t *testing.T) {
	var buf bytes.Buffer
	err := writeTop(&buf, client.ContainerTopResult{
		Titles:    []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"},
		Processes: [][]string{{"root", "24816", "24796", "0", "23:52", "?", "00:00:00", "sh -c sleep 1000"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD\n" +
		"root                24816               24796               0                   23:52               ?                   00:00:00            sh -c sleep 1000\n"
	if buf.String() != want {
		t.Errorf("got\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestWriteContainerPruneReport(t *testing.T) {
	tests := []struct {
		report container.PruneReport
		want   string
	}{
		{container.PruneReport{}, "Total reclaimed space: 0B\n"},
		{container.PruneReport{ContainersDeleted: []string{"aaa", "bbb"}, SpaceReclaimed: 2048},
			"Deleted Containers:\naaa\nbbb\n\nTotal reclaimed space: 2.048kB\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		writeContainerPruneReport(&buf, tt.report)
		if buf.String() != tt.want {
			t.Errorf("got %q, want %q", buf.String(), tt.want)
		}
	}
}

func TestNaturalLess(t *testing.T) {
	if !naturalLess("9000/tcp", "10000/tcp") || naturalLess("10000/tcp", "9000/tcp") || !naturalLess("a1", "a2") || !naturalLess("a", "ab") {
		t.Error("naturalLess")
	}
}
