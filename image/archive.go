package image

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/berth/berth/compression"
	"github.com/containerd/errdefs"
)

// decompress returns the stream inside r, which is plain or compressed
// with what `docker load` accepts.
func decompress(r io.Reader) (io.ReadCloser, error) {
	zr, _, err := compression.Decompress(r, compression.Gzip, compression.Bzip2, compression.Xz, compression.Zstd)
	if err != nil {
		return nil, invalidArchive(err)
	}
	return zr, nil
}

// invalidArchive classes a problem of the archive itself as a bad request.
func invalidArchive(err error) error {
	return errdefs.ErrInvalidArgument.WithMessage("invalid image archive: " + err.Error())
}

// untar extracts the (possibly compressed) tar stream r into dir, which
// must exist. Only regular files, directories, symlinks and hard links are
// kept; every name, and every link, must stay inside dir.
func untar(ctx context.Context, r io.Reader, dir string) error {
	zr, err := decompress(r)
	if err != nil {
		return err
	}
	defer zr.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(zr)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return invalidArchive(err)
		}
		if err := extract(root, hdr, tr); err != nil {
			return invalidArchive(fmt.Errorf("%q: %w", hdr.Name, err))
		}
	}
}

func extract(root *os.Root, hdr *tar.Header, r io.Reader) error {
	name := path.Clean(hdr.Name)
	if !filepath.IsLocal(name) {
		return fmt.Errorf("path escapes the archive")
	}
	if name == "." {
		return nil
	}
	if err := root.MkdirAll(path.Dir(name), 0o700); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return root.MkdirAll(name, 0o700)
	case tar.TypeReg:
		f, err := root.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	case tar.TypeSymlink:
		// os.Root refuses absolute targets and, when followed, escapes.
		return root.Symlink(hdr.Linkname, name)
	case tar.TypeLink:
		target := path.Clean(hdr.Linkname)
		if !filepath.IsLocal(target) {
			return fmt.Errorf("link target escapes the archive")
		}
		return root.Link(target, name)
	}
	return nil // devices, fifos: not part of an image archive
}
