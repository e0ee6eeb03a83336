package layer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// Names inside a layer directory.
const (
	contentDir   = "diff"
	diffIDFile   = "diffid"
	parentFile   = "parent"
	sizeFile     = "size"
	tarSplitFile = "tar-split.json.gz"
)

// writeMeta writes l's metadata files into the layer directory dir.
func writeMeta(dir string, l Layer) error {
	files := map[string]string{
		diffIDFile: l.DiffID.String(),
		parentFile: l.Parent.String(),
		sizeFile:   strconv.FormatInt(l.Size, 10),
	}
	for name, value := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// readLayer reads the layer directory name in layersDir and checks that its
// metadata is whole and consistent with its name.
func readLayer(layersDir, name string) (Layer, error) {
	l := Layer{ChainID: digest.NewDigestFromEncoded(digest.SHA256, name)}
	if err := l.ChainID.Validate(); err != nil {
		return Layer{}, err
	}
	dir := filepath.Join(layersDir, name)
	var diffID, parent, size []byte
	var errs []error
	for file, dst := range map[string]*[]byte{diffIDFile: &diffID, parentFile: &parent, sizeFile: &size} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		*dst, errs = b, append(errs, err)
	}
	for _, file := range []string{contentDir, tarSplitFile} {
		_, err := os.Stat(filepath.Join(dir, file))
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Layer{}, err
	}
	return parseMeta(l, diffID, parent, size)
}

func parseMeta(l Layer, diffID, parent, size []byte) (Layer, error) {
	var err, perr, serr error
	l.DiffID, err = digest.Parse(string(diffID))
	if len(parent) > 0 {
		l.Parent, perr = digest.Parse(string(parent))
	}
	l.Size, serr = strconv.ParseInt(string(size), 10, 64)
	if err := errors.Join(err, perr, serr); err != nil {
		return Layer{}, err
	}
	if want := chainOf(l.Parent, l.DiffID); want != l.ChainID {
		return Layer{}, fmt.Errorf("metadata gives chain ID %s", want)
	}
	return l, nil
}

// syncDir makes the entries of dir (a rename into or out of it) durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// syncFS flushes the filesystem holding dir, so that a layer renamed into
// place after it cannot come back from a crash with empty files.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
