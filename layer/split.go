package layer

import (
	"fmt"
	"hash/crc64"
	"io"

	"github.com/containerd/errdefs"
	"github.com/vbatts/tar-split/archive/tar"
	"github.com/vbatts/tar-split/tar/storage"
)

// splitTar reads the tar stream r entry by entry, calling apply for each,
// and records in p what asm.NewOutputTarStream needs to give r back byte for
// byte: the raw headers and padding, and each entry's name, size and content
// checksum. It is asm.NewInputTarStream without that one's second parse of
// the stream in a goroutine: what is recorded is exactly what was applied.
func splitTar(r io.Reader, p storage.Packer, apply func(*tar.Header, io.Reader) error) error {
	tr := tar.NewReader(r)
	tr.RawAccounting = true
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return corrupt(err)
		}
		if err := addSegment(p, tr.RawBytes()); err != nil {
			return err
		}
		sum := crc64.New(storage.CRCTable)
		content := tarContent{io.TeeReader(tr, sum)}
		if err := apply(hdr, content); err != nil {
			return fmt.Errorf("tar entry %q: %w", hdr.Name, err)
		}
		if _, err := io.Copy(io.Discard, content); err != nil { // what apply left unread
			return err
		}
		entry := storage.Entry{Type: storage.FileType, Size: hdr.Size}
		entry.SetName(hdr.Name)
		if hdr.Size > 0 {
			entry.Payload = sum.Sum(nil)
		}
		if _, err := p.AddEntry(entry); err != nil {
			return corrupt(err) // a duplicate name
		}
		if err := addSegment(p, tr.RawBytes()); err != nil {
			return err
		}
	}
	if err := addSegment(p, tr.RawBytes()); err != nil {
		return err
	}
	return addTrailer(p, r)
}

// addTrailer records what follows the end of the archive (often more zero
// blocks), in bounded pieces.
func addTrailer(p storage.Packer, r io.Reader) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if addErr := addSegment(p, buf[:n]); addErr != nil {
			return addErr
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return corrupt(err)
		}
	}
}

func addSegment(p storage.Packer, raw []byte) error {
	if len(raw) == 0 {
		return nil
	}
	_, err := p.AddEntry(storage.Entry{Type: storage.SegmentType, Payload: raw})
	return err
}

// tarContent marks failures to read an entry's content as a corrupt stream.
type tarContent struct{ r io.Reader }

func (c tarContent) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = corrupt(err)
	}
	return n, err
}

func corrupt(err error) error {
	return fmt.Errorf("reading tar: %w: %w", err, errdefs.ErrInvalidArgument)
}
