package cli

import "testing"

func TestResolveHost(t *testing.T) {
	tests := []struct {
		name    string
		flags   []string
		env     map[string]string
		tls     bool
		want    string
		wantErr bool
	}{
		{name: "default", want: "unix:///run/berth.sock"},
		{name: "DOCKER_HOST", env: map[string]string{"DOCKER_HOST": "unix:///d.sock"}, want: "unix:///d.sock"},
		{name: "BERTH_HOST before DOCKER_HOST",
			env:  map[string]string{"BERTH_HOST": "unix:///b.sock", "DOCKER_HOST": "unix:///d.sock"},
			want: "unix:///b.sock"},
		{name: "-H before the environment", flags: []string{"tcp://10.0.0.1:2375"},
			env:  map[string]string{"BERTH_HOST": "unix:///b.sock", "DOCKER_HOST": "unix:///d.sock"},
			want: "tcp://10.0.0.1:2375"},
		{name: "two -H", flags: []string{"unix:///a", "unix:///b"}, wantErr: true},
		{name: "unix without path", flags: []string{"unix://"}, want: "unix:///run/berth.sock"},
		{name: "tcp default port", flags: []string{"tcp://example.com"}, want: "tcp://example.com:2375"},
		{name: "tcp TLS port", flags: []string{"tcp://example.com"}, tls: true, want: "tcp://example.com:2376"},
		{name: "bare host:port", flags: []string{"127.0.0.1:1234"}, want: "tcp://127.0.0.1:1234"},
		{name: "tcp without host", flags: []string{"tcp://:2375"}, want: "tcp://localhost:2375"},
		{name: "tcp with path", flags: []string{"tcp://h:1/base"}, want: "tcp://h:1/base"},
		{name: "ipv6", flags: []string{"tcp://[::1]:2375"}, want: "tcp://[::1]:2375"},
		{name: "unknown scheme", flags: []string{"ftp://x"}, wantErr: true},
		{name: "empty environment value", env: map[string]string{"BERTH_HOST": ""}, want: "unix:///run/berth.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			got, err := resolveHost(tt.flags, getenv, tt.tls)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestTLSOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantTLS    bool
		wantVerify bool
		wantCA     string
	}{
		{name: "off", args: nil},
		{name: "--tls", args: []string{"--tls"}, wantTLS: true, wantCA: dir + "/ca.pem"},
		{name: "--tlsverify implies --tls", args: []string{"--tlsverify"}, wantTLS: true, wantVerify: true, wantCA: dir + "/ca.pem"},
		{name: "--tlsverify=false still turns TLS on", args: []string{"--tlsverify=false"}, wantTLS: true, wantCA: dir + "/ca.pem"},
		{name: "DOCKER_TLS_VERIFY", env: map[string]string{"DOCKER_TLS_VERIFY": "1"}, wantTLS: true, wantVerify: true, wantCA: dir + "/ca.pem"},
		{name: "--tlscacert", args: []string{"--tlsverify", "--tlscacert", "/x/ca.pem"}, wantTLS: true, wantVerify: true, wantCA: "/x/ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"DOCKER_CERT_PATH": dir}
			for k, v := range tt.env {
				env[k] = v
			}
			c := New(nil, nil, nil, func(k string) string { return env[k] })
			root := NewRootCommand(c)
			if err := root.Flags().Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			got := c.opts.tlsOptions()
			if (got != nil) != tt.wantTLS {
				t.Fatalf("got %+v, want TLS %v", got, tt.wantTLS)
			}
			if got == nil {
				return
			}
			if got.InsecureSkipVerify == tt.wantVerify || got.CAFile != tt.wantCA {
				t.Errorf("got %+v", got)
			}
			if got.CertFile != "" || got.KeyFile != "" {
				t.Errorf("default certificate files that do not exist should be dropped: %+v", got)
			}
		})
	}
}
