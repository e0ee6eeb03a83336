package buildcontext

import (
	"errors"
	"io/fs"
	"os"

	"github.com/containerd/errdefs"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// ReadDockerignore returns the patterns of the context's .dockerignore
// (none when there is no such file).
func ReadDockerignore(root *os.Root) ([]string, error) {
	f, err := root.Open(".dockerignore")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("reading .dockerignore: " + err.Error())
	}
	return patterns, nil
}

// RemoveIgnored deletes from root what patterns exclude, honouring "!"
// exceptions, so that no later step can see an ignored file (Docker's
// daemon does the same after reading the Dockerfile).
func RemoveIgnored(root *os.Root, patterns []string) error {
	if len(patterns) == 0 {
		return nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage("invalid .dockerignore pattern: " + err.Error())
	}
	var doomed []string
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		excluded, err := pm.MatchesOrParentMatches(p)
		if err != nil || !excluded {
			return err
		}
		if d.IsDir() && pm.Exclusions() {
			return nil // an exception may keep something inside
		}
		doomed = append(doomed, p)
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range doomed {
		if err := root.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}
