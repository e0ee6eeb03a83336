package cli

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The local side of cp: what docker's CLI does with moby's archive
// package, reduced to what cp needs. A copy is a tar whose top entry is
// named for where it lands ("name", "name/..."; "./..." for a directory's
// content), extracted into a directory.

// copyInfo describes one end of a copy.
type copyInfo struct {
	Path       string
	Exists     bool
	IsDir      bool
	RebaseName string // the name the top entry must take, when a symlink changed it
}

var (
	errCannotCopyDir = errors.New("cannot copy directory")
	errDirNotExists  = errors.New("no such directory")
)

// localAbsPath makes p absolute, keeping a trailing "/" or "/.".
func localAbsPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	switch {
	case strings.HasSuffix(p, "/.") || p == ".":
		if abs != "/" {
			abs += "/"
		}
		abs += "."
	case strings.HasSuffix(p, "/") && abs != "/":
		abs += "/"
	}
	return abs, nil
}

func endsInDot(p string) bool   { return p == "." || strings.HasSuffix(p, "/.") }
func endsInSlash(p string) bool { return strings.HasSuffix(p, "/") }

// splitPathDirEntry splits p into its directory and last entry ("." for
// a path that names a directory's content).
func splitPathDirEntry(p string) (dir, base string) {
	clean := filepath.Clean(p)
	if endsInDot(p) {
		clean += "/."
	}
	return filepath.Dir(clean), filepath.Base(clean)
}

// rebasedTarget keeps the trailing "/." or "/" of path on resolved, and
// names the entry path's base if resolving a symlink changed it.
func rebasedTarget(path, resolved string) (string, string) {
	if endsInDot(path) && !endsInDot(resolved) {
		resolved += "/."
	}
	if endsInSlash(path) && !endsInSlash(resolved) {
		resolved += "/"
	}
	var rebase string
	if filepath.Base(path) != filepath.Base(resolved) {
		rebase = filepath.Base(path)
	}
	return resolved, rebase
}

// localSourceInfo describes a local source: its parent directory's
// symlinks are resolved, its own only with follow.
func localSourceInfo(path string, follow bool) (copyInfo, error) {
	var resolved, rebase string
	if follow {
		r, err := filepath.EvalSymlinks(path)
		if err != nil {
			return copyInfo{}, err
		}
		resolved, rebase = rebasedTarget(path, r)
	} else {
		dir, base := filepath.Split(path)
		r, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return copyInfo{}, err
		}
		resolved = r + "/" + base
		if endsInSlash(path) && filepath.Base(path) != filepath.Base(resolved) {
			rebase = filepath.Base(path)
		}
	}
	fi, err := os.Lstat(resolved)
	if err != nil {
		return copyInfo{}, err
	}
	return copyInfo{Path: resolved, Exists: true, IsDir: fi.IsDir(), RebaseName: rebase}, nil
}

// localDestInfo describes a local destination, following symlinks.
func localDestInfo(path string) (copyInfo, error) {
	for range 10 {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			parent, _ := splitPathDirEntry(path)
			if _, err := os.Stat(parent); err != nil {
				return copyInfo{}, err
			}
			return copyInfo{Path: path}, nil
		}
		if err != nil {
			return copyInfo{}, err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			return copyInfo{Path: path, Exists: true, IsDir: fi.IsDir()}, nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return copyInfo{}, err
		}
		if !filepath.IsAbs(target) {
			dir, _ := splitPathDirEntry(path)
			target = filepath.Join(dir, target)
		}
		path, _ = rebasedTarget(path, target)
	}
	return copyInfo{}, errors.New("too many symlinks in " + path)
}

// prepareCopy decides, from both ends, into which directory the copy is
// extracted and what its top entry is called there.
func prepareCopy(src, dst copyInfo) (dir, name string, err error) {
	_, name = splitPathDirEntry(src.Path)
	if src.RebaseName != "" {
		name = src.RebaseName
	}
	switch {
	case dst.Exists && dst.IsDir:
		return dst.Path, name, nil
	case dst.Exists && src.IsDir:
		return "", "", errCannotCopyDir
	case dst.Exists:
		dir, name = splitPathDirEntry(dst.Path)
		return dir, name, nil
	case (endsInSlash(dst.Path) || endsInDot(dst.Path)) && !src.IsDir:
		return "", "", errDirNotExists
	}
	dir, name = splitPathDirEntry(dst.Path)
	return dir, name, nil
}

// extractCopy extracts a tar from a container (top entry named top) to the
// local dstPath.
func extractCopy(r io.Reader, src copyInfo, srcBase, rebase, dstPath string) error {
	dst, err := localDestInfo(dstPath)
	if err != nil {
		return err
	}
	top := srcBase
	if rebase != "" {
		top = rebase
	}
	src.RebaseName = top
	dir, name, err := prepareCopy(src, dst)
	if err != nil {
		return err
	}
	if name != top {
		r = rebaseTar(r, top, name)
	}
	return untarLocal(r, dir)
}

// rebaseTar renames the entry oldBase (and everything below it) to newBase.
func rebaseTar(r io.Reader, oldBase, newBase string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		tr, tw := tar.NewReader(r), tar.NewWriter(pw)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				pw.CloseWithError(tw.Close())
				return
			}
			if err == nil {
				hdr.Name = rebaseName(hdr.Name, oldBase, newBase)
				if hdr.Typeflag == tar.TypeLink {
					hdr.Linkname = rebaseName(hdr.Linkname, oldBase, newBase)
				}
				err = tw.WriteHeader(hdr)
			}
			if err == nil {
				_, err = io.Copy(tw, tr)
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return pr
}

func rebaseName(name, oldBase, newBase string) string {
	if name == oldBase || strings.HasPrefix(name, oldBase+"/") {
		return newBase + strings.TrimPrefix(name, oldBase)
	}
	return name
}

// tarLocal streams a tar of the local path, its top entry named name.
// Symlinks are archived as symlinks.
func tarLocal(path, name string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		links := map[uint64]string{}
		root := filepath.Clean(path)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			entry := name
			if rel != "." {
				entry = name + "/" + filepath.ToSlash(rel)
			}
			return addLocal(tw, p, entry, links)
		})
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

func addLocal(tw *tar.Writer, p, name string, links map[uint64]string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSocket != 0 {
		return nil
	}
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Name, hdr.Uname, hdr.Gname = name, "", ""
	if fi.IsDir() {
		hdr.Name += "/"
	}
	hdr.ModTime = fi.ModTime().Truncate(time.Second)
	hdr.AccessTime, hdr.ChangeTime, hdr.Format = time.Time{}, time.Time{}, tar.FormatPAX
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
		if fi.Mode().IsRegular() && st.Nlink > 1 {
			if first, ok := links[st.Ino]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				links[st.Ino] = name
			}
		}
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyN(tw, f, hdr.Size)
	return err
}

// untarLocal extracts a tar from the daemon into dir. Entries may not
// climb out of dir, nor pass through a symlink the same tar made (a
// container could otherwise send "l -> /etc" then "l/passwd").
func untarLocal(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	made := map[string]bool{} // symlinks this tar made, by clean name
	var dirs []*tar.Header
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(hdr.Name)
		if name == ".." || strings.HasPrefix(name, "../") || filepath.IsAbs(name) {
			return fmt.Errorf("invalid tar entry %q: outside of %s", hdr.Name, dir)
		}
		if p := belowMadeSymlink(made, name); p != "" {
			return fmt.Errorf("invalid tar entry %q: below the symlink %q", hdr.Name, p)
		}
		if hdr.Typeflag == tar.TypeLink {
			if p := belowMadeSymlink(made, filepath.Clean(hdr.Linkname)+"/x"); p != "" {
				return fmt.Errorf("invalid hardlink %q -> %q: through the symlink %q", hdr.Name, hdr.Linkname, p)
			}
		}
		if name == "." {
			continue
		}
		path := filepath.Join(dir, name)
		if err := extractLocal(tr, hdr, path, dir); err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			made[name] = true
		case tar.TypeDir:
			dirs = append(dirs, hdr)
		}
	}
	for _, hdr := range dirs {
		p := filepath.Join(dir, filepath.Clean(hdr.Name))
		_ = os.Chtimes(p, hdr.ModTime, hdr.ModTime)
	}
	return nil
}

// belowMadeSymlink returns the symlink of made that is a parent of name, if any.
func belowMadeSymlink(made map[string]bool, name string) string {
	for p := filepath.Dir(name); p != "." && p != "/"; p = filepath.Dir(p) {
		if made[p] {
			return p
		}
	}
	return ""
}

// extractLocal makes one entry at path, replacing what is there unless
// both are directories.
func extractLocal(r io.Reader, hdr *tar.Header, path, dir string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.IsDir() && hdr.Typeflag != tar.TypeDir:
			return fmt.Errorf("cannot overwrite directory %q with non-directory %q", path, hdr.Name)
		case !fi.IsDir() && hdr.Typeflag == tar.TypeDir:
			return fmt.Errorf("cannot overwrite non-directory %q with directory %q", path, hdr.Name)
		case !fi.IsDir():
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	mode := os.FileMode(hdr.Mode).Perm() | os.FileMode(hdr.Mode)&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := os.Mkdir(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	case tar.TypeReg:
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if err = errors.Join(err, f.Close()); err != nil {
			return err
		}
	case tar.TypeSymlink:
		return os.Symlink(hdr.Linkname, path)
	case tar.TypeLink:
		target := filepath.Join(dir, filepath.Clean(hdr.Linkname))
		if !strings.HasPrefix(target, filepath.Clean(dir)+"/") {
			return fmt.Errorf("invalid hardlink %q -> %q", hdr.Name, hdr.Linkname)
		}
		return os.Link(target, path)
	default:
		return nil // devices and fifos need privileges; docker cp skips what it cannot make too
	}
	if err := os.Chmod(path, mode); err != nil {
		return err
	}
	return os.Chtimes(path, hdr.ModTime, hdr.ModTime)
}
