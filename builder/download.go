package builder

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/containerd/errdefs"
)

// download fetches an ADD URL into a private directory and returns it as
// a file source (mode 0600, the server's Last-Modified time, as Docker).
func (r *run) download(ctx context.Context, rawURL string) ([]copySource, func(), error) {
	nothing := func() {}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nothing, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" {
		return nil, nothing, errdefs.ErrInvalidArgument.WithMessage("cannot determine filename for source " + rawURL)
	}
	dir, err := os.MkdirTemp(filepath.Join(r.b.root, "tmp"), "add-")
	if err != nil {
		return nil, nothing, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := fetch(ctx, rawURL, filepath.Join(dir, name)); err != nil {
		cleanup()
		return nil, nothing, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		cleanup()
		return nil, nothing, err
	}
	return []copySource{{root: root, path: name}}, func() { root.Close(); cleanup() }, nil
}

func fetch(ctx context.Context, rawURL, dest string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("failed to GET %s: %v", rawURL, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("failed to GET %s with status %s", rawURL, resp.Status))
	}
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("downloading %s: %w", rawURL, err)
	}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		return os.Chtimes(dest, t, t)
	}
	return os.Chtimes(dest, time.Now(), time.Now())
}
