package cli

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// contextFile is a file added to the context tar that is not in the
// directory (a Dockerfile from stdin or from outside the context).
type contextFile struct {
	name string
	data []byte
}

// tarContext streams dir as a tar, leaving out what its .dockerignore
// excludes, except the Dockerfile and .dockerignore themselves (the
// daemon reads them), as the docker CLI does. Owners are written as root.
func tarContext(dir, dockerfile string, extra *contextFile) (io.ReadCloser, error) {
	pm, err := ignoreMatcher(dir)
	if err != nil {
		return nil, err
	}
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	keep := map[string]bool{filepath.Clean(dockerfile): true, ".dockerignore": true}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil || rel == "." {
				return err
			}
			rel = filepath.ToSlash(rel)
			if pm != nil && !keep[rel] {
				excluded, err := pm.MatchesOrParentMatches(rel)
				if err != nil {
					return err
				}
				if excluded {
					if d.IsDir() && !pm.Exclusions() {
						return filepath.SkipDir
					}
					if !d.IsDir() {
						return nil
					}
				}
			}
			return addContextEntry(tw, p, rel)
		})
		if err == nil && extra != nil {
			err = tw.WriteHeader(&tar.Header{Name: extra.name, Mode: 0o644, Size: int64(len(extra.data)), Typeflag: tar.TypeReg})
			if err == nil {
				_, err = tw.Write(extra.data)
			}
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

func ignoreMatcher(dir string) (*patternmatcher.PatternMatcher, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return patternmatcher.New(patterns)
}

func addContextEntry(tw *tar.Writer, p, rel string) error {
	st, err := os.Lstat(p)
	if err != nil {
		return err
	}
	link := ""
	if st.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(st, link)
	if err != nil {
		return nil // sockets and the like are not sent
	}
	hdr.Name = rel
	if st.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, io.LimitReader(f, hdr.Size))
	return err
}
