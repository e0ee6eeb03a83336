package containerfs

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/moby/moby/api/types/container"
)

// AbsPath is path as an absolute container path, keeping a trailing "/"
// or "/." that the docker CLI uses to mean "the directory's content".
func AbsPath(path string) string {
	abs := filepath.Join("/", path)
	switch {
	case strings.HasSuffix(path, "/.") || path == ".":
		if abs != "/" {
			abs += "/"
		}
		abs += "."
	case strings.HasSuffix(path, "/") && abs != "/":
		abs += "/"
	}
	return abs
}

// Stat describes absPath in the view as Docker's X-Docker-Container-Path-Stat
// does: the entry itself (a final symlink is not followed) and, for a
// symlink, the container path it resolves to.
func (v *View) Stat(absPath string) (container.PathStat, error) {
	var st container.PathStat
	err := v.Do(func() error {
		fi, err := os.Lstat(absPath)
		if err != nil {
			return err
		}
		var target string
		if fi.Mode()&os.ModeSymlink != 0 {
			if target, err = followInScope(absPath); err != nil {
				return err
			}
		}
		st = container.PathStat{Name: filepath.Base(absPath), Size: fi.Size(), Mode: fi.Mode(), Mtime: fi.ModTime(), LinkTarget: target}
		return nil
	})
	return st, err
}

// followInScope resolves every symlink of p, as moby's FollowSymlinkInScope
// does with the container's root as scope: the view's root is the
// container's, so ".." and absolute targets stay in it. A missing component
// ends the walk; the rest of the path is kept as it is.
func followInScope(p string) (string, error) {
	resolved := "/"
	rest := strings.Split(p, "/")
	for links := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, c)
		fi, err := os.Lstat(next)
		if os.IsNotExist(err) {
			return filepath.Join(append([]string{next}, rest...)...), nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			resolved = next
			continue
		}
		if links++; links > 255 {
			return "", &os.PathError{Op: "resolve", Path: p, Err: syscall.ELOOP}
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return resolved, nil
}
