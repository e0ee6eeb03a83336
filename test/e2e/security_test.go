package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestSecurityDefaults: Docker's default seccomp profile and capabilities
// confine a container, --cap-drop and --read-only take abilities away, and
// bad capability names or security options are refused at create.
func TestSecurityDefaults(t *testing.T) {
	d := startDaemon(t)
	img := busybox(t, d)
	run := func(args ...string) result {
		return d.docker(append([]string{"run", "--rm"}, args...)...)
	}

	// unshare(2) needs CAP_SYS_ADMIN under Docker's profile, even for a
	// user namespace, which the kernel itself allows anyone.
	r := run(img, "busybox", "unshare", "-U", "true")
	if r.Code == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
		t.Errorf("unshare under the default profile: %s", r)
	}
	if r := run("--security-opt", "seccomp=unconfined", img, "busybox", "unshare", "-U", "true"); r.Code != 0 {
		t.Logf("unshare unconfined (the host may forbid user namespaces): %s", r)
	}

	script := "busybox touch /tmp/f && busybox chown 1 /tmp/f && echo chowned"
	if out := must(t, run(img, "sh", "-c", script)); out != "chowned\n" {
		t.Errorf("chown with default capabilities: %q", out)
	}
	if r := run("--cap-drop", "chown", img, "sh", "-c", script); r.Code == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
		t.Errorf("chown without CAP_CHOWN: %s", r)
	}

	must(t, d.docker("volume", "create", "data"))
	r = run("--read-only", "--tmpfs", "/tmp", "-v", "data:/data", img, "sh", "-c",
		"echo a > /tmp/a && echo b > /data/b && echo wrote; echo c > /c")
	if r.Code == 0 || r.Stdout != "wrote\n" || !strings.Contains(r.Stderr, "Read-only file system") {
		t.Errorf("--read-only: %s", r)
	}

	before := must(t, d.docker("ps", "-aq"))
	r = run("--cap-add", "nope", img, "true")
	if r.Code != 125 || !strings.Contains(r.Stderr, `invalid CapAdd: unknown capability: "CAP_NOPE"`) {
		t.Errorf("--cap-add nope: %s", r)
	}
	code, body := d.apiPost(t, "/containers/create", `{"Image":"`+img+`","HostConfig":{"SecurityOpt":["bogus"]}}`)
	if code != http.StatusBadRequest || !strings.Contains(body, `invalid --security-opt 1: \"bogus\"`) {
		t.Errorf("SecurityOpt bogus: %d %s", code, body)
	}
	code, body = d.apiPost(t, "/containers/create", `{"Image":"`+img+`","HostConfig":{"UsernsMode":"private"}}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "invalid USER mode: private") {
		t.Errorf("UsernsMode private: %d %s", code, body)
	}
	if after := must(t, d.docker("ps", "-aq")); after != before {
		t.Errorf("refused creates left containers: %q, before %q", after, before)
	}
	must(t, d.docker("volume", "rm", "data"))
}
