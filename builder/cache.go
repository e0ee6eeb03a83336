package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth/berth/atomicfile"
	"github.com/berth/berth/image"
)

// cache maps step keys to the images earlier builds made for them, one
// small file per key, so that it survives restarts and needs no lock: a
// key's image is the same whichever build wrote it last. An entry whose
// image was deleted is a miss.
type cache struct {
	dir    string
	images *image.Service
}

// cacheKey names a step: the image it starts from, its history line (the
// instruction with its arguments expanded), the config it commits, and
// extra (digests of COPY/ADD sources, RUN's build-time environment).
func cacheKey(s *stage, createdBy, extra string) string {
	cfg, _ := json.Marshal(s.config)
	h := sha256.New()
	for _, part := range []string{s.imageID, createdBy, string(cfg), extra} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *cache) get(ctx context.Context, key string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(c.dir, key))
	if err != nil {
		return "", false
	}
	id := strings.TrimSpace(string(b))
	resolved, err := c.images.Resolve(ctx, id)
	if err != nil || resolved.String() != id {
		return "", false
	}
	return id, true
}

func (c *cache) put(key, id string) error {
	return atomicfile.Write(filepath.Join(c.dir, key), []byte(id), 0o600)
}
