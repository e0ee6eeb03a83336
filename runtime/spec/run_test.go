package spec

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth/berth/test/fixture"
	"github.com/berth/berth/test/testenv"
	"github.com/moby/moby/api/types/container"
)

// busyboxRootfs builds a minimal rootfs: busybox, its applets, /etc/passwd
// with root and nobody, /tmp.
func busyboxRootfs(t *testing.T) string {
	root := filepath.Join(t.TempDir(), "rootfs")
	for _, d := range []string{"bin", "etc", "proc", "sys", "dev", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bb, err := os.ReadFile(fixture.BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, applet := range fixture.Applets {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", applet)); err != nil {
			t.Fatal(err)
		}
	}
	writeRootfsFile(t, root, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
	writeRootfsFile(t, root, "etc/group", "root:x:0:\nnogroup:x:65534:\n")
	return root
}

// TestRunWithRunc proves that a generated spec runs: runc starts it as the
// given user, with Docker's capabilities, hostname, working directory,
// HOME and /etc files.
func TestRunWithRunc(t *testing.T) {
	testenv.RequireRoot(t)
	fixture.SkipIfNoBusybox(t)
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("runc not installed")
	}
	rootfs := busyboxRootfs(t)
	tests := []struct {
		user, uid, capEff, home string
	}{
		// A non-root user keeps the bounding set but loses its effective
		// capabilities at execve, as under Docker.
		{user: "nobody", uid: "65534", capEff: "0000000000000000", home: "/nonexistent"},
		{user: "", uid: "0", capEff: "00000000a80425fb", home: "/root"},
	}
	for _, tt := range tests {
		t.Run("user="+tt.user, func(t *testing.T) {
			out := runSpec(t, runc, rootfs, tt.user)
			want := []string{tt.uid, "CapEff:\t" + tt.capEff, "CapBnd:\t00000000a80425fb", "spec-test", "/tmp", tt.home, "from-etc-files"}
			for _, w := range want {
				if !strings.Contains(out, "\n"+w+"\n") {
					t.Errorf("output lacks line %q:\n%s", w, out)
				}
			}
		})
	}
}

// runSpec generates a spec for rootfs and runs it with runc, returning its
// output with a leading newline.
func runSpec(t *testing.T, runc, rootfs, user string) string {
	id := randomID(t)
	etc := filepath.Join(t.TempDir(), "hostname")
	if err := os.WriteFile(etc, []byte("from-etc-files\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Generate(Options{
		ID:     id,
		Rootfs: rootfs,
		Config: &container.Config{
			Cmd:        []string{"sh", "-c", "id -u; grep ^Cap /proc/self/status; hostname; pwd; echo $HOME; cat /etc/hostname"},
			User:       user,
			WorkingDir: "/tmp",
		},
		HostConfig:  &container.HostConfig{},
		Hostname:    "spec-test",
		EtcFiles:    map[string]string{"/etc/hostname": etc},
		CgroupsPath: "/berth-spec-test/" + id,
	})
	if err != nil {
		t.Fatal(err)
	}
	bundle := t.TempDir()
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	t.Cleanup(func() { cleanupContainer(t, runc, state, id) })

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, runc, "--root", state, "run", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runc run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("output:\n%s\nrunc stderr:\n%s", stdout.String(), stderr.String())
	return "\n" + stdout.String()
}

// cleanupContainer deletes the container and any cgroup runc left behind.
func cleanupContainer(t *testing.T, runc, state, id string) {
	if out, err := exec.Command(runc, "--root", state, "delete", "-f", id).CombinedOutput(); err != nil &&
		!strings.Contains(string(out), "does not exist") {
		t.Logf("runc delete: %v: %s", err, out)
	}
	for _, pattern := range []string{"/sys/fs/cgroup/berth-spec-test", "/sys/fs/cgroup/*/berth-spec-test"} {
		parents, _ := filepath.Glob(pattern)
		for _, parent := range parents {
			if err := os.Remove(filepath.Join(parent, id)); err != nil && !os.IsNotExist(err) {
				t.Errorf("remove cgroup: %v", err)
			}
			os.Remove(parent) // fails while another test's cgroup is in it
		}
	}
}

func randomID(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
