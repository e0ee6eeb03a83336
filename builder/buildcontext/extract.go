// Package buildcontext holds a build's context: the client's tar (or bare
// Dockerfile) unpacked into a private directory, with .dockerignore applied,
// and the safe lookup of COPY/ADD sources in it. Every file operation goes
// through an os.Root, so no entry of the tar and no symlink in it can make
// the builder read or write outside the context directory.
package buildcontext

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/berth/berth/compression"
	"github.com/containerd/errdefs"
)

// maxDockerfileBody bounds a body that is a bare Dockerfile, not a tar.
const maxDockerfileBody = 16 << 20

// Decompress returns r decompressed when it starts with a gzip, bzip2 or
// xz magic (the compressions Docker's archive package detects for ADD and
// build contexts; not zstd, as dockerd 20.10), else r itself.
func Decompress(r io.Reader) (io.Reader, error) {
	d, _, err := compression.Decompress(r, compression.Gzip, compression.Bzip2, compression.Xz)
	return d, err
}

// isTar tells whether the first block of r is a tar header.
func isTar(br *bufio.Reader) bool {
	block, err := br.Peek(512)
	if err != nil {
		return false
	}
	_, err = tar.NewReader(bytes.NewReader(block)).Next()
	return err == nil || errors.Is(err, io.ErrUnexpectedEOF)
}

// Extract unpacks the build context body into dir, which must exist and
// be empty. A body that is not a tar (plain or compressed) is taken as the
// Dockerfile itself and stored as dockerfile.
func Extract(body io.Reader, dir, dockerfile string) error {
	r, err := Decompress(body)
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage("reading build context: " + err.Error())
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	if !isTar(br) {
		return writeDockerfile(root, br, dockerfile)
	}
	return Untar(br, root, "")
}

func writeDockerfile(root *os.Root, r io.Reader, name string) error {
	b, err := io.ReadAll(io.LimitReader(r, maxDockerfileBody+1))
	if err != nil {
		return err
	}
	if len(b) > maxDockerfileBody {
		return errdefs.ErrInvalidArgument.WithMessage("build context is neither a tar archive nor a Dockerfile")
	}
	rel, err := CleanPath(name)
	if err != nil || rel == "." {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid Dockerfile name %q", name))
	}
	if err := root.MkdirAll(path.Dir(rel), 0o755); err != nil {
		return err
	}
	return root.WriteFile(rel, b, 0o644)
}

// CleanPath makes name a clean path relative to a root; a name that would
// climb out of it ("../x") is refused.
func CleanPath(name string) (string, error) {
	p := path.Clean(strings.TrimLeft(name, "/"))
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid path %q: outside of the build context", name))
	}
	return p, nil
}

// Untar writes the entries of the tar r under prefix in root. Names are
// cleaned and may not climb out; parents are created; symlinks are stored
// as they are (never followed while writing: a later entry under a
// symlink that leaves root fails). Devices are skipped. Owners are not
// kept: COPY sets them.
func Untar(r io.Reader, root *os.Root, prefix string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errdefs.ErrInvalidArgument.WithMessage("reading build context: " + err.Error())
		}
		if isSparse(hdr) {
			// A few bytes of sparse map can expand to terabytes of zeros.
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s: sparse files are not supported in a build context", hdr.Name))
		}
		rel, err := CleanPath(hdr.Name)
		if err != nil {
			return err
		}
		if rel == "." {
			continue
		}
		if err := writeEntry(root, prefix, rel, hdr, tr); err != nil {
			return fmt.Errorf("extracting %s: %w", hdr.Name, err)
		}
	}
}

func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func writeEntry(root *os.Root, prefix, rel string, hdr *tar.Header, r io.Reader) error {
	rel = path.Join(prefix, rel)
	if err := root.MkdirAll(path.Dir(rel), 0o755); err != nil {
		return err
	}
	mode := fs.FileMode(hdr.Mode) & fs.ModePerm
	if st, err := root.Lstat(rel); err == nil {
		if st.IsDir() && hdr.Typeflag == tar.TypeDir {
			return root.Chmod(rel, mode)
		}
		if err := root.RemoveAll(rel); err != nil {
			return err
		}
	}
	if err := createEntry(root, prefix, rel, mode, hdr, r); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir, tar.TypeReg, tar.TypeSymlink:
		// The archive's owners are kept, as Docker's ADD does (COPY
		// sets its own afterwards).
		return root.Lchown(rel, hdr.Uid, hdr.Gid)
	}
	return nil
}

// WriteFile creates the new file rel in root with r's content and mode
// perm (past the umask).
func WriteFile(root *os.Root, rel string, r io.Reader, perm fs.FileMode) error {
	f, err := root.OpenFile(rel, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return root.Chmod(rel, perm)
}

func createEntry(root *os.Root, prefix, rel string, mode fs.FileMode, hdr *tar.Header, r io.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := root.Mkdir(rel, mode); err != nil {
			return err
		}
		return root.Chmod(rel, mode) // past the umask
	case tar.TypeReg:
		if err := WriteFile(root, rel, r, mode); err != nil {
			return err
		}
		return root.Chtimes(rel, hdr.ModTime, hdr.ModTime)
	case tar.TypeSymlink:
		return root.Symlink(hdr.Linkname, rel)
	case tar.TypeLink:
		target, err := CleanPath(hdr.Linkname)
		if err != nil {
			return err
		}
		return root.Link(path.Join(prefix, target), rel)
	}
	return nil // devices, fifos: not part of a build context
}

// OpenArchive opens p in root as a tar archive (plain, gzip, bzip2 or xz) for
// ADD's auto-extraction; ok is false when p is not one.
func OpenArchive(root *os.Root, p string) (r io.Reader, closer io.Closer, ok bool) {
	f, err := root.Open(p)
	if err != nil {
		return nil, nil, false
	}
	d, err := Decompress(f)
	if err != nil {
		f.Close()
		return nil, nil, false
	}
	br, isBuf := d.(*bufio.Reader)
	if !isBuf {
		br = bufio.NewReader(d)
	}
	if !isTar(br) {
		f.Close()
		return nil, nil, false
	}
	return br, f, true
}
