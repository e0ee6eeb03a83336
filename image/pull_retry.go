package image

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/berth/berth/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// retryUnit is the wait before a download's next attempt, times the
// attempts made (Docker waits 5 s, then 10 s, ...).
const retryUnit = 5 * time.Second

// resumingBlob reads a blob from its registry and, when the connection
// breaks, tries again from where it broke (a Range request) up to
// attempts times in all, saying "Retrying in N seconds" meanwhile, as
// Docker does. What it hands on is one unbroken stream, so the digest
// check of the whole blob is unaffected. err keeps the last failure: a
// broken download, told apart from a blob that does not match its digest.
type resumingBlob struct {
	ctx      context.Context
	repo     *registry.Repo
	desc     ocispec.Descriptor
	prog     registry.Progress
	attempts int

	tries  int
	rc     io.ReadCloser
	offset int64
	err    error
}

// open makes the first request (with retries): a registry refusing the
// blob fails the download before any byte is stored.
func (b *resumingBlob) open() error {
	for {
		rc, err := b.repo.BlobAt(b.ctx, b.desc, b.offset)
		b.tries++
		if err == nil {
			b.rc = rc
			return nil
		}
		if !b.wait(err) {
			b.err = err
			return err
		}
	}
}

func (b *resumingBlob) Read(p []byte) (int, error) {
	if b.rc == nil {
		if b.err != nil {
			return 0, b.err
		}
		if err := b.open(); err != nil {
			return 0, err
		}
	}
	n, err := b.rc.Read(p)
	b.offset += int64(n)
	if err == nil || err == io.EOF {
		return n, err
	}
	b.rc.Close()
	b.rc = nil
	if !b.wait(err) {
		b.err = err
		if n > 0 {
			return n, nil // the error comes with the next Read
		}
		return 0, err
	}
	return n, nil // the next Read resumes at offset
}

// wait reports whether another attempt is due after err, and waits for it.
func (b *resumingBlob) wait(err error) bool {
	if b.tries >= b.attempts || !registry.Retryable(err) || b.ctx.Err() != nil {
		return false
	}
	for left := b.tries * int(retryUnit/time.Second); left > 0; left-- {
		unit := "seconds"
		if left == 1 {
			unit = "second"
		}
		b.prog.Status(fmt.Sprintf("Retrying in %d %s", left, unit))
		select {
		case <-time.After(time.Second):
		case <-b.ctx.Done():
			return false
		}
	}
	return true
}

func (b *resumingBlob) Close() error {
	if b.rc == nil {
		return nil
	}
	return b.rc.Close()
}
