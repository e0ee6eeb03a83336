package spec

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/runtime-spec/specs-go"
)

const testPasswd = `root:x:0:0:root:/root:/bin/sh
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
app:x:1000:1000:App:/home/app:/bin/sh
broken:x:notanumber:1::/:
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`

const testGroup = `root:x:0:
daemon:x:1:app
staff:x:50:app,other
app:x:1000:
video:x:44:
nogroup:x:65534:
`

// writeRootfsFile writes name (a path inside root) with its parents.
func writeRootfsFile(t *testing.T, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func testRootfs(t *testing.T) string {
	root := t.TempDir()
	writeRootfsFile(t, root, "etc/passwd", testPasswd)
	writeRootfsFile(t, root, "etc/group", testGroup)
	return root
}

func TestResolveUser(t *testing.T) {
	root := testRootfs(t)
	tests := []struct {
		user     string
		groupAdd []string
		want     specs.User
		home     string
	}{
		{user: "", want: specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{0}}, home: "/root"},
		{user: "app", want: specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 1, 50}}, home: "/home/app"},
		{user: "1000", want: specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 1, 50}}, home: "/home/app"},
		{user: "app:video", want: specs.User{UID: 1000, GID: 44, AdditionalGids: []uint32{44}}, home: "/home/app"},
		{user: "app:44", want: specs.User{UID: 1000, GID: 44, AdditionalGids: []uint32{44}}, home: "/home/app"},
		{user: "app:4242", want: specs.User{UID: 1000, GID: 4242, AdditionalGids: []uint32{4242}}, home: "/home/app"},
		{user: "4242", want: specs.User{UID: 4242, GID: 0, AdditionalGids: []uint32{0}}, home: "/"},
		{user: "4242:4343", want: specs.User{UID: 4242, GID: 4343, AdditionalGids: []uint32{4343}}, home: "/"},
		{user: "nobody", want: specs.User{UID: 65534, GID: 65534, AdditionalGids: []uint32{65534}}, home: "/nonexistent"},
		{user: "nobody", groupAdd: []string{"video", "staff", "777", "44"},
			want: specs.User{UID: 65534, GID: 65534, AdditionalGids: []uint32{65534, 44, 50, 777}}, home: "/nonexistent"},
	}
	for _, tt := range tests {
		u, home, err := ResolveUser(root, tt.user, tt.groupAdd)
		if err != nil {
			t.Errorf("ResolveUser(%q, %q): %v", tt.user, tt.groupAdd, err)
			continue
		}
		if !reflect.DeepEqual(u, tt.want) || home != tt.home {
			t.Errorf("ResolveUser(%q, %q) = %+v, %q; want %+v, %q", tt.user, tt.groupAdd, u, home, tt.want, tt.home)
		}
	}
}

func TestResolveUserErrors(t *testing.T) {
	root := testRootfs(t)
	tests := []struct {
		user     string
		groupAdd []string
		want     string
	}{
		{user: "nosuch", want: "unable to find user nosuch: no matching entries in passwd file"},
		{user: "broken", want: "unable to find user broken: no matching entries in passwd file"},
		{user: "app:nosuch", want: "unable to find group nosuch: no matching entries in group file"},
		{user: "app", groupAdd: []string{"nosuch"}, want: "Unable to find group nosuch: no matching entries in group file"},
		{user: "-1", want: "uids and gids must be in range 0-2147483647"},
		{user: "app:4294967296", want: "uids and gids must be in range 0-2147483647"},
	}
	for _, tt := range tests {
		_, _, err := ResolveUser(root, tt.user, tt.groupAdd)
		if err == nil || err.Error() != tt.want || !errdefs.IsInvalidArgument(err) {
			t.Errorf("ResolveUser(%q, %q) error = %v; want invalid argument %q", tt.user, tt.groupAdd, err, tt.want)
		}
	}
}

func TestResolveUserNoFiles(t *testing.T) {
	root := t.TempDir()
	u, home, err := ResolveUser(root, "", nil)
	if err != nil || !reflect.DeepEqual(u, specs.User{AdditionalGids: []uint32{0}}) || home != "/" {
		t.Errorf("root without /etc/passwd = %+v, %q, %v", u, home, err)
	}
	u, _, err = ResolveUser(root, "123:456", []string{"789"})
	if err != nil || !reflect.DeepEqual(u, specs.User{UID: 123, GID: 456, AdditionalGids: []uint32{456, 789}}) {
		t.Errorf("numeric user without /etc/passwd = %+v, %v", u, err)
	}
	if _, _, err := ResolveUser(root, "app", nil); err == nil {
		t.Error("a name resolved without /etc/passwd")
	}
}

// A symlinked /etc/passwd is resolved inside the rootfs: a link to a host
// path must not read the host's file.
func TestResolveUserSymlinkStaysInRootfs(t *testing.T) {
	host := t.TempDir()
	writeRootfsFile(t, host, "passwd", "hostonly:x:4242:4242::/host:/bin/sh\n")
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{filepath.Join(host, "passwd"), "../../../../../../../../" + filepath.Join(host, "passwd")} {
		link := filepath.Join(root, "etc", "passwd")
		os.Remove(link)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ResolveUser(root, "hostonly", nil); err == nil {
			t.Errorf("/etc/passwd -> %s: the host's passwd was read", target)
		}
	}
	// The same link resolves to the rootfs's own copy of that path.
	writeRootfsFile(t, root, filepath.Join(host, "passwd"), "inside:x:7:7::/in:/bin/sh\n")
	if u, home, err := ResolveUser(root, "inside", nil); err != nil || u.UID != 7 || home != "/in" {
		t.Errorf("link inside the rootfs: %+v, %q, %v", u, home, err)
	}
}
