// Package compression tells compressed streams apart by their magic bytes
// and decompresses them: one place for the formats that docker load,
// docker import, image layers and build contexts accept.
package compression

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Format is a compression format.
type Format string

// The formats Decompress knows; None is an uncompressed stream.
const (
	None  Format = ""
	Gzip  Format = "gzip"
	Bzip2 Format = "bzip2"
	Xz    Format = "xz"
	Zstd  Format = "zstd"
)

var magics = []struct {
	format Format
	magic  []byte
}{
	{Gzip, []byte{0x1f, 0x8b}},
	{Bzip2, []byte("BZh")},
	{Xz, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd}},
}

// Decompress returns the content of r: decompressed when r starts with the
// magic of one of accept, else as it is (None). The returned reader is
// buffered; Close releases the decompressor, not r.
func Decompress(r io.Reader, accept ...Format) (io.ReadCloser, Format, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(6)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, None, err
	}
	for _, m := range magics {
		if !bytes.HasPrefix(head, m.magic) || !slices.Contains(accept, m.format) {
			continue
		}
		zr, err := open(m.format, br)
		if err != nil {
			return nil, m.format, fmt.Errorf("%s: %w", m.format, err)
		}
		return zr, m.format, nil
	}
	return io.NopCloser(br), None, nil
}

func open(f Format, r io.Reader) (io.ReadCloser, error) {
	switch f {
	case Gzip:
		return gzip.NewReader(r)
	case Bzip2:
		return io.NopCloser(bzip2.NewReader(r)), nil
	case Xz:
		xr, err := xz.NewReader(r)
		return io.NopCloser(xr), err
	case Zstd:
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unknown compression %q", f)
}
