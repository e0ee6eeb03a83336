package builder

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
)

// owner is the uid and gid COPY/ADD give what they write (root by default).
type owner struct{ uid, gid int }

// parseChown resolves --chown=user[:group] (names or numbers) against the
// image's /etc/passwd and /etc/group; a user alone brings its primary group.
func parseChown(rootfs, spec string) (owner, error) {
	if spec == "" {
		return owner{}, nil
	}
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	uid, gid, err := lookupID(rootfs, "/etc/passwd", userPart, 2, 3)
	if err != nil {
		return owner{}, err
	}
	if hasGroup {
		if gid, _, err = lookupID(rootfs, "/etc/group", groupPart, 2, -1); err != nil {
			return owner{}, err
		}
	} else if _, numeric := strconv.Atoi(userPart); numeric == nil {
		gid = uid
	}
	return owner{uid: uid, gid: gid}, nil
}

// lookupID finds name in the colon-separated file: its field idField and,
// if extraField >= 0, that field too. A number is taken as it is.
func lookupID(rootfs, file, name string, idField, extraField int) (int, int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, -1, nil
	}
	p, err := securejoin.SecureJoin(rootfs, file)
	if err != nil {
		return 0, 0, err
	}
	f, err := os.Open(p)
	if err != nil {
		return 0, 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unable to convert uid/gid chown string to host mapping: can't find uid for user %s: no such user: %s", name, name))
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) <= idField || fields[0] != name {
			continue
		}
		id, err := strconv.Atoi(fields[idField])
		if err != nil {
			break
		}
		extra := -1
		if extraField >= 0 && len(fields) > extraField {
			extra, _ = strconv.Atoi(fields[extraField])
		}
		return id, extra, nil
	}
	what := "user"
	if strings.HasSuffix(file, "group") {
		what = "group"
	}
	return 0, 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unable to convert uid/gid chown string to host mapping: can't find uid for %s %s: no such %s: %s", what, name, what, name))
}

// parseChmod reads --chmod as an octal mode.
func parseChmod(spec string) (*fs.FileMode, error) {
	if spec == "" {
		return nil, nil
	}
	n, err := strconv.ParseUint(spec, 8, 32)
	if err != nil || n > 0o7777 {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid chmod parameter %s", spec))
	}
	m := fs.FileMode(n)
	return &m, nil
}
