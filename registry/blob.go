package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Blob GETs the blob desc. The bytes are not checked: the caller checks
// them against desc.Digest as it stores them. At most desc.Size+1 bytes
// are read, so that a registry cannot fill the disk.
func (r *Repo) Blob(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	return r.BlobAt(ctx, desc, 0)
}

// BlobAt is Blob from byte offset on, to resume a broken download: a
// Range request, and a server that ignores it is read past offset. A
// foreign layer is asked of its URLs first, then of the registry. Errors
// a retry cannot fix (the registry refused the request) are marked so:
// see Retryable.
func (r *Repo) BlobAt(ctx context.Context, desc ocispec.Descriptor, offset int64) (io.ReadCloser, error) {
	if desc.Size > 0 && offset >= desc.Size {
		return io.NopCloser(&io.LimitedReader{}), nil
	}
	if len(desc.URLs) > 0 && IsNondistributable(desc.MediaType) {
		rc, err := r.foreignBlob(ctx, desc, offset)
		if err == nil {
			return limitBlob(rc, desc.Size-offset), nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		// Docker too falls back to the registry when no URL serves the layer.
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url("blobs", desc.Digest.String()), nil)
	if err != nil {
		return nil, err
	}
	rc, err := getFrom(r.client, req, offset)
	var terr *transport.Error
	if errors.As(err, &terr) {
		err = r.words(err, false)
		if terr.StatusCode < http.StatusInternalServerError {
			err = noRetry{err}
		}
	}
	if err != nil {
		return nil, err
	}
	return limitBlob(rc, desc.Size-offset), nil
}

// getFrom sends req, asking for the bytes from offset on, and returns the
// body positioned there.
func getFrom(client *http.Client, req *http.Request, offset int64) (io.ReadCloser, error) {
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if err := transport.CheckError(resp, http.StatusOK, http.StatusPartialContent); err != nil {
		resp.Body.Close()
		return nil, err
	}
	if offset > 0 && resp.StatusCode == http.StatusOK { // Range ignored: skip what we have
		if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
			resp.Body.Close()
			return nil, err
		}
	}
	return resp.Body, nil
}

// limitBlob reads at most size+1 bytes of rc, so that a server cannot fill
// the disk; one byte more than size is enough to fail the digest check.
func limitBlob(rc io.ReadCloser, size int64) io.ReadCloser {
	if size <= 0 {
		return rc
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, size+1), rc}
}

// noRetry marks an error that trying again cannot fix.
type noRetry struct{ error }

func (e noRetry) Unwrap() error { return e.error }

// Retryable reports whether a download that failed with err may succeed
// when tried again: network failures and server errors may, a refusal of
// the registry (4xx) may not.
func Retryable(err error) bool {
	var nr noRetry
	return !errors.As(err, &nr)
}
