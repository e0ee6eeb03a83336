package compression

import (
	"bytes"
	"compress/gzip"
	"io"
	"os/exec"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func TestDecompress(t *testing.T) {
	plain := bytes.Repeat([]byte("berth layer content\n"), 1000)
	var gz, xzb, zst bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	xw, _ := xz.NewWriter(&xzb)
	xw.Write(plain)
	xw.Close()
	zw, _ := zstd.NewWriter(&zst)
	zw.Write(plain)
	zw.Close()
	streams := map[Format][]byte{None: plain, Gzip: gz.Bytes(), Xz: xzb.Bytes(), Zstd: zst.Bytes()}
	if out, err := exec.Command("sh", "-c", "printf '%s' \"$0\" | bzip2", string(plain)).Output(); err == nil {
		streams[Bzip2] = out
	}
	all := []Format{Gzip, Bzip2, Xz, Zstd}
	for f, b := range streams {
		r, got, err := Decompress(bytes.NewReader(b), all...)
		if err != nil || got != f {
			t.Fatalf("%q: format %q, %v", f, got, err)
		}
		if out, err := io.ReadAll(r); err != nil || !bytes.Equal(out, plain) {
			t.Errorf("%q: content differs (%d bytes), %v", f, len(out), err)
		}
		r.Close()
	}
	// A format not accepted passes through as it is.
	r, got, err := Decompress(bytes.NewReader(zst.Bytes()), Gzip)
	if out, _ := io.ReadAll(r); err != nil || got != None || !bytes.Equal(out, zst.Bytes()) {
		t.Errorf("zstd not accepted: format %q, %v", got, err)
	}
	// A corrupt header is an error naming the format.
	if _, _, err := Decompress(bytes.NewReader([]byte{0x1f, 0x8b, 0, 0}), all...); err == nil {
		t.Error("a corrupt gzip header was accepted")
	}
	// Short streams are plain.
	if r, got, err := Decompress(bytes.NewReader([]byte("ab")), all...); err != nil || got != None {
		t.Errorf("short stream: %q %v", got, err)
	} else if out, _ := io.ReadAll(r); string(out) != "ab" {
		t.Errorf("short stream content %q", out)
	}
}
