package layer

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The conformance suite: each case registers a tar and checks the diff
// directory it leaves.
func TestApplyConformance(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		check   func(t *testing.T, dir string)
	}{
		{"regular file", []entry{
			{tar.Header{Typeflag: tar.TypeReg, Name: "etc/conf", Mode: 0o640, Uid: 1000, Gid: 1001, Size: 5, ModTime: epoch}, "hello"},
		}, func(t *testing.T, dir string) {
			checkStat(t, dir, "etc/conf", unix.S_IFREG|0o640, 1000, 1001)
			checkContent(t, dir, "etc/conf", "hello")
			checkMtime(t, dir, "etc/conf", epoch)
			checkStat(t, dir, "etc", unix.S_IFDIR|0o755, 0, 0) // made for a missing parent
		}},
		{"special mode bits", []entry{
			{tar.Header{Typeflag: tar.TypeReg, Name: "suid", Mode: 0o4755, Uid: 5, ModTime: epoch}, ""},
			{tar.Header{Typeflag: tar.TypeReg, Name: "sgid", Mode: 0o2711, Gid: 7, ModTime: epoch}, ""},
			{Header: tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777, ModTime: epoch}},
		}, func(t *testing.T, dir string) {
			checkStat(t, dir, "suid", unix.S_IFREG|0o4755, 5, 0)
			checkStat(t, dir, "sgid", unix.S_IFREG|0o2711, 0, 7)
			checkStat(t, dir, "tmp", unix.S_IFDIR|0o1777, 0, 0)
		}},
		{"directory times survive their content", []entry{
			{Header: tar.Header{Typeflag: tar.TypeDir, Name: "d/", Mode: 0o700, Uid: 3, Gid: 4, ModTime: epoch}},
			file("d/f", "x"),
			{Header: tar.Header{Typeflag: tar.TypeFifo, Name: "d/p", Mode: 0o600, ModTime: epoch}},
		}, func(t *testing.T, dir string) {
			checkStat(t, dir, "d", unix.S_IFDIR|0o700, 3, 4)
			checkMtime(t, dir, "d", epoch)
		}},
		{"symlink", []entry{
			{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: "lib", Linkname: "usr/lib", Uid: 9, Gid: 9, ModTime: epoch}},
			symlink("dangling", "../../nowhere"),
		}, func(t *testing.T, dir string) {
			checkStat(t, dir, "lib", unix.S_IFLNK|0o777, 9, 9)
			checkLink(t, dir, "lib", "usr/lib")
			checkLink(t, dir, "dangling", "../../nowhere")
			checkMtime(t, dir, "lib", epoch)
		}},
		{"hardlink", []entry{
			file("bin/a", "same"),
			hardlink("bin/b", "bin/a"),
			hardlink("c", "/bin/a"),
			symlink("s", "/etc/passwd"),
			hardlink("h", "s"), // links the symlink itself
		}, func(t *testing.T, dir string) {
			a, b, c := lstat(t, dir, "bin/a"), lstat(t, dir, "bin/b"), lstat(t, dir, "c")
			if a.Ino != b.Ino || a.Ino != c.Ino || a.Nlink != 3 {
				t.Errorf("inodes %d %d %d, nlink %d: want one inode with 3 links", a.Ino, b.Ino, c.Ino, a.Nlink)
			}
			if s, h := lstat(t, dir, "s"), lstat(t, dir, "h"); s.Ino != h.Ino || h.Mode&unix.S_IFMT != unix.S_IFLNK {
				t.Errorf("h: inode %d mode %o, want the symlink's inode %d", h.Ino, h.Mode, s.Ino)
			}
		}},
		{"whiteout", []entry{
			dir("d/"),
			{tar.Header{Typeflag: tar.TypeReg, Name: "d/.wh.gone", Uid: 2, Gid: 2, ModTime: epoch}, ""},
			file(".wh.top", ""),
		}, func(t *testing.T, dir string) {
			checkWhiteout(t, dir, "d/gone")
			checkWhiteout(t, dir, "top")
			checkAbsent(t, dir, "d/.wh.gone")
		}},
		{"opaque directory", []entry{
			dir("d/"),
			file("d/.wh..wh..opq", ""),
			file("d/kept", "k"),
			file("e/.wh..wh..opq", ""), // before its directory entry
			dir("e/"),
			file(".wh..wh.aufs", ""),
		}, func(t *testing.T, dir string) {
			checkXattr(t, dir, "d", opaqueXattr, "y")
			checkXattr(t, dir, "e", opaqueXattr, "y")
			checkContent(t, dir, "d/kept", "k")
			checkAbsent(t, dir, "d/.wh..wh..opq")
			checkAbsent(t, dir, ".wh..wh.aufs")
			checkAbsent(t, dir, "aufs")
		}},
		{"xattrs", []entry{
			{tar.Header{Typeflag: tar.TypeReg, Name: "f", Mode: 0o644, ModTime: epoch, PAXRecords: map[string]string{
				"SCHILY.xattr.user.color":             "blue",
				"SCHILY.xattr.trusted.overlay.opaque": "y",
				"SCHILY.xattr.trusted.berth":          "t",
			}}, ""},
			{Header: tar.Header{Typeflag: tar.TypeDir, Name: "d/", Mode: 0o755, ModTime: epoch, PAXRecords: map[string]string{
				"SCHILY.xattr.trusted.overlay.opaque": "y", // forged: must be ignored
			}}},
		}, func(t *testing.T, dir string) {
			requireUserXattr(t, dir)
			checkXattr(t, dir, "f", "user.color", "blue")
			checkXattr(t, dir, "f", "trusted.berth", "t")
			checkNoXattr(t, dir, "f", opaqueXattr)
			checkNoXattr(t, dir, "d", opaqueXattr)
		}},
		{"devices and fifos", []entry{
			{Header: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3, ModTime: epoch}},
			{Header: tar.Header{Typeflag: tar.TypeBlock, Name: "dev/loop9", Mode: 0o660, Gid: 6, Devmajor: 7, Devminor: 9, ModTime: epoch}},
			{Header: tar.Header{Typeflag: tar.TypeFifo, Name: "run/pipe", Mode: 0o620, ModTime: epoch}},
		}, func(t *testing.T, dir string) {
			checkStat(t, dir, "dev/null", unix.S_IFCHR|0o666, 0, 0)
			checkDev(t, dir, "dev/null", 1, 3)
			checkStat(t, dir, "dev/loop9", unix.S_IFBLK|0o660, 0, 6)
			checkDev(t, dir, "dev/loop9", 7, 9)
			checkStat(t, dir, "run/pipe", unix.S_IFIFO|0o620, 0, 0)
		}},
		{"replacing entries", []entry{
			dir("a/"), file("a/inner", "x"),
			file("/a", "now a file"), // "/a" and "a" are distinct tar names
			file("f", "x"), dir("/f/"), file("f/inner", "y"),
			symlink("s", "/etc"), file("/s", "no follow"),
			file("w", "x"), file(".wh.w", ""),
			dir("m/"), file("m/keep", "k"), {Header: tar.Header{Typeflag: tar.TypeDir, Name: "/m", Mode: 0o711, ModTime: epoch}},
		}, func(t *testing.T, dir string) {
			checkContent(t, dir, "a", "now a file")
			checkContent(t, dir, "f/inner", "y")
			checkContent(t, dir, "s", "no follow")
			checkWhiteout(t, dir, "w")
			checkContent(t, dir, "m/keep", "k") // directories merge
			checkStat(t, dir, "m", unix.S_IFDIR|0o711, 0, 0)
		}},
		{"root entry and odd names", []entry{
			dir("./"), dir("/"), file("./x/../y", "y"), file("//z", "z"),
		}, func(t *testing.T, dir string) {
			checkStat(t, dir, ".", unix.S_IFDIR|0o755, 0, 0)
			checkContent(t, dir, "y", "y")
			checkContent(t, dir, "z", "z")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestStore(t)
			l, err := ts.Register(bytes.NewReader(makeTar(t, tt.entries...)), "")
			if err != nil {
				t.Fatal(err)
			}
			dir, err := ts.Dir(l.ChainID)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, dir)
			ts.checkConfined(t)
		})
	}
}

func checkStat(t *testing.T, dir, name string, mode uint32, uid, gid uint32) {
	t.Helper()
	st := lstat(t, dir, name)
	if st.Mode != mode || st.Uid != uid || st.Gid != gid {
		t.Errorf("%s: mode %o owner %d:%d, want %o %d:%d", name, st.Mode, st.Uid, st.Gid, mode, uid, gid)
	}
}

func checkContent(t *testing.T, dir, name, want string) {
	t.Helper()
	if st := lstat(t, dir, name); st.Mode&unix.S_IFMT != unix.S_IFREG {
		t.Fatalf("%s: mode %o, want a regular file", name, st.Mode)
	}
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || string(got) != want {
		t.Errorf("%s: content %q (%v), want %q", name, got, err, want)
	}
}

func checkMtime(t *testing.T, dir, name string, want time.Time) {
	t.Helper()
	st := lstat(t, dir, name)
	if got := time.Unix(st.Mtim.Unix()); !got.Equal(want) {
		t.Errorf("%s: mtime %v, want %v", name, got, want)
	}
}

func checkLink(t *testing.T, dir, name, want string) {
	t.Helper()
	got, err := os.Readlink(filepath.Join(dir, name))
	if err != nil || got != want {
		t.Errorf("%s: link %q (%v), want %q", name, got, err, want)
	}
}

func checkWhiteout(t *testing.T, dir, name string) {
	t.Helper()
	st := lstat(t, dir, name)
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("%s: mode %o rdev %d, want a 0/0 character device", name, st.Mode, st.Rdev)
	}
}

func checkDev(t *testing.T, dir, name string, major, minor uint32) {
	t.Helper()
	st := lstat(t, dir, name)
	if unix.Major(st.Rdev) != major || unix.Minor(st.Rdev) != minor {
		t.Errorf("%s: device %d:%d, want %d:%d", name, unix.Major(st.Rdev), unix.Minor(st.Rdev), major, minor)
	}
}

func checkAbsent(t *testing.T, dir, name string) {
	t.Helper()
	if exists(t, filepath.Join(dir, name)) {
		t.Errorf("%s exists", name)
	}
}

func checkXattr(t *testing.T, dir, name, attr, want string) {
	t.Helper()
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(filepath.Join(dir, name), attr, buf)
	if err != nil || string(buf[:n]) != want {
		t.Errorf("%s: xattr %s = %q (%v), want %q", name, attr, buf[:max(n, 0)], err, want)
	}
}

func checkNoXattr(t *testing.T, dir, name, attr string) {
	t.Helper()
	if _, err := unix.Lgetxattr(filepath.Join(dir, name), attr, nil); err != unix.ENODATA {
		t.Errorf("%s: xattr %s: %v, want it absent", name, attr, err)
	}
}

// requireUserXattr skips t where the filesystem of dir has no user xattrs.
func requireUserXattr(t *testing.T, dir string) {
	t.Helper()
	probe := filepath.Join(dir, "..", "xattr-probe")
	if err := os.WriteFile(probe, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(probe)
	if err := unix.Setxattr(probe, "user.probe", []byte("1"), 0); err != nil {
		t.Skipf("no user xattrs here: %v", err)
	}
}
