package spec

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"syscall"

	"github.com/containerd/errdefs"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// maxID is the largest uid or gid runc accepts.
const maxID = 1<<31 - 1

// maxEtcFile bounds what is read of a rootfs's /etc/passwd or /etc/group.
const maxEtcFile = 16 << 20

type passwdEntry struct {
	name     string
	uid, gid int
	home     string
}

type groupEntry struct {
	name    string
	gid     int
	members []string
}

// ResolveUser resolves a Docker user spec ("name", "uid", "name:group",
// "uid:gid", or "" for root) against rootfs's /etc/passwd and /etc/group as
// runc's libcontainer/user does: numeric ids need not exist, names must;
// missing files count as empty. Without an explicit group the user gets its
// supplementary groups from /etc/group; groupAdd (HostConfig.GroupAdd, names
// or gids) are added. It also returns the user's home directory ("/" when
// the user has no passwd entry), for HOME.
func ResolveUser(rootfs, user string, groupAdd []string) (specs.User, string, error) {
	passwd, groups, err := readUserDB(rootfs)
	if err != nil {
		return specs.User{}, "", err
	}
	userArg, groupArg, _ := strings.Cut(user, ":")
	pw, err := findUser(passwd, userArg)
	if err != nil {
		return specs.User{}, "", err
	}
	gid := pw.gid
	var sgids []int
	if groupArg != "" {
		if gid, err = findGroup(groups, groupArg); err != nil {
			return specs.User{}, "", err
		}
	} else if pw.name != "" {
		sgids = memberOf(groups, pw.name)
	}
	added, err := additionalGroups(groups, groupAdd)
	if err != nil {
		return specs.User{}, "", err
	}
	u := specs.User{UID: uint32(pw.uid), GID: uint32(gid)}
	u.AdditionalGids = uniqueIDs(append(append([]int{gid}, sgids...), added...))
	return u, pw.home, nil
}

func findUser(passwd []passwdEntry, arg string) (passwdEntry, error) {
	if arg == "" {
		arg = "0"
	}
	id, err := strconv.Atoi(arg)
	numeric := err == nil
	for _, e := range passwd {
		if numeric && e.uid == id || !numeric && e.name == arg {
			return e, nil
		}
	}
	if !numeric {
		return passwdEntry{}, invalidf("unable to find user %s: no matching entries in passwd file", arg)
	}
	if id < 0 || id > maxID {
		return passwdEntry{}, errRange()
	}
	return passwdEntry{uid: id, home: "/"}, nil
}

func findGroup(groups []groupEntry, arg string) (int, error) {
	id, err := strconv.Atoi(arg)
	numeric := err == nil
	for _, g := range groups {
		if numeric && g.gid == id || !numeric && g.name == arg {
			return g.gid, nil
		}
	}
	if !numeric {
		return 0, invalidf("unable to find group %s: no matching entries in group file", arg)
	}
	if id < 0 || id > maxID {
		return 0, errRange()
	}
	return id, nil
}

// memberOf returns the gids of the groups that list name as a member.
func memberOf(groups []groupEntry, name string) []int {
	var gids []int
	for _, g := range groups {
		for _, m := range g.members {
			if m == name {
				gids = append(gids, g.gid)
				break
			}
		}
	}
	return gids
}

// additionalGroups resolves HostConfig.GroupAdd: a group name or gid from
// /etc/group, else any numeric gid.
func additionalGroups(groups []groupEntry, names []string) ([]int, error) {
	var gids []int
	for _, ag := range names {
		gid, found := 0, false
		for _, g := range groups {
			if g.name == ag || strconv.Itoa(g.gid) == ag {
				gid, found = g.gid, true
				break
			}
		}
		if !found {
			n, err := strconv.ParseInt(ag, 10, 64)
			if err != nil {
				return nil, invalidf("Unable to find group %s: no matching entries in group file", ag)
			}
			if n < 0 || n > maxID {
				return nil, errRange()
			}
			gid = int(n)
		}
		gids = append(gids, gid)
	}
	return gids, nil
}

func uniqueIDs(ids []int) []uint32 {
	out := make([]uint32, 0, len(ids))
	seen := make(map[int]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, uint32(id))
		}
	}
	return out
}

func errRange() error {
	return invalidf("uids and gids must be in range 0-%d", maxID)
}

func invalidf(format string, args ...any) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, args...))
}

func readUserDB(rootfs string) ([]passwdEntry, []groupEntry, error) {
	passwd, err := readRootfsFile(rootfs, "/etc/passwd")
	if err != nil {
		return nil, nil, err
	}
	group, err := readRootfsFile(rootfs, "/etc/group")
	if err != nil {
		return nil, nil, err
	}
	return parsePasswd(passwd), parseGroup(group), nil
}

// readRootfsFile reads path inside rootfs, resolving symlinks as if rootfs
// were "/" so that a link can never reach a host file. A file that does not
// exist reads as empty, as in libcontainer.
func readRootfsFile(rootfs, path string) ([]byte, error) {
	h, err := pathrs.OpenInRoot(rootfs, path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open %s in rootfs: %w", path, err)
	}
	defer h.Close()
	if fi, err := h.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s in rootfs is not a regular file", path)
	}
	f, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open %s in rootfs: %w", path, err)
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxEtcFile))
}

// lines returns the colon-separated fields of each non-empty, non-comment line.
func lines(b []byte) [][]string {
	var out [][]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxEtcFile)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, strings.Split(line, ":"))
		}
	}
	return out
}

// parsePasswd parses name:password:uid:gid:gecos:home:shell lines, skipping
// lines whose ids are not numbers.
func parsePasswd(b []byte) []passwdEntry {
	var entries []passwdEntry
	for _, f := range lines(b) {
		if len(f) < 4 {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		e := passwdEntry{name: f[0], uid: uid, gid: gid, home: "/"}
		if len(f) > 5 && f[5] != "" {
			e.home = f[5]
		}
		entries = append(entries, e)
	}
	return entries
}

// parseGroup parses name:password:gid:member,member lines.
func parseGroup(b []byte) []groupEntry {
	var entries []groupEntry
	for _, f := range lines(b) {
		if len(f) < 3 {
			continue
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		e := groupEntry{name: f[0], gid: gid}
		if len(f) > 3 && f[3] != "" {
			for _, m := range strings.Split(f[3], ",") {
				e.members = append(e.members, strings.TrimSpace(m))
			}
		}
		entries = append(entries, e)
	}
	return entries
}
