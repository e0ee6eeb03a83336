package daemon

import (
	"slices"
	"strings"
	"testing"

	networktypes "github.com/moby/moby/api/types/network"
)

func TestParseLink(t *testing.T) {
	for in, want := range map[string][2]string{
		"db":              {"db", "db"},
		"db:main":         {"db", "main"},
		"/db:/web/main":   {"db", "main"},
		"0123456789ab:x1": {"0123456789ab", "x1"},
	} {
		name, alias, err := parseLink(in)
		if err != nil || name != want[0] || alias != want[1] {
			t.Errorf("parseLink(%q) = %q, %q, %v; want %q", in, name, alias, err, want)
		}
	}
	for _, bad := range []string{"", "a:b:c"} {
		if _, _, err := parseLink(bad); err == nil {
			t.Errorf("parseLink(%q) succeeded", bad)
		}
	}
}

// TestLinkEnv checks the variables against what Docker's links package
// gives for the same ports: TCP first, runs of ports with _START/_END
// once the run has ended.
func TestLinkEnv(t *testing.T) {
	var ports []networktypes.Port
	for _, p := range []string{"53/udp", "81/tcp", "80/tcp", "443/tcp"} {
		ports = append(ports, networktypes.MustParsePort(p))
	}
	l := link{name: "/web/db-1", alias: "db-1", ip: "10.0.0.2", ports: ports, env: []string{"A=1", "PATH=/bin", "HOME=/", "B=x=y", "bare"}}
	want := []string{
		"DB_1_PORT=tcp://10.0.0.2:80",
		"DB_1_PORT_80_TCP=tcp://10.0.0.2:80", "DB_1_PORT_80_TCP_ADDR=10.0.0.2", "DB_1_PORT_80_TCP_PORT=80", "DB_1_PORT_80_TCP_PROTO=tcp",
		"DB_1_PORT_81_TCP=tcp://10.0.0.2:81", "DB_1_PORT_81_TCP_ADDR=10.0.0.2", "DB_1_PORT_81_TCP_PORT=81", "DB_1_PORT_81_TCP_PROTO=tcp",
		"DB_1_PORT_443_TCP=tcp://10.0.0.2:443", "DB_1_PORT_443_TCP_ADDR=10.0.0.2", "DB_1_PORT_443_TCP_PORT=443", "DB_1_PORT_443_TCP_PROTO=tcp",
		"DB_1_PORT_80_TCP_START=tcp://10.0.0.2:80", "DB_1_PORT_80_TCP_PORT_START=80", "DB_1_PORT_80_TCP_END=tcp://10.0.0.2:81", "DB_1_PORT_80_TCP_PORT_END=81",
		"DB_1_PORT_53_UDP=udp://10.0.0.2:53", "DB_1_PORT_53_UDP_ADDR=10.0.0.2", "DB_1_PORT_53_UDP_PORT=53", "DB_1_PORT_53_UDP_PROTO=udp",
		"DB_1_NAME=/web/db-1", "DB_1_ENV_A=1", "DB_1_ENV_B=x=y",
	}
	if got := l.envVars(); !slices.Equal(got, want) {
		t.Errorf("envVars:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLinkHosts(t *testing.T) {
	got := linkHosts([]link{
		{alias: "db", target: "postgres", hostname: "0123456789ab", ip: "10.0.0.2"},
		{alias: "cache", target: "cache", hostname: "ba9876543210", ip: "10.0.0.3"},
	})
	if len(got) != 2 || got[0].Addr != "10.0.0.2" || strings.Join(got[0].Names, " ") != "db 0123456789ab postgres" ||
		strings.Join(got[1].Names, " ") != "cache ba9876543210" {
		t.Errorf("linkHosts: %+v", got)
	}
}
