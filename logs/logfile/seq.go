package logfile

import (
	"encoding/binary"
	"io"
	"os"
	"strings"
)

// A compressed rotated file keeps the sequence number of the file it was
// made from in its gzip header: an extra field (RFC 1952) with the
// subfield "BL", 8 bytes, the number big-endian. So it can be read without
// decompressing (and the shim does not link compress).
const (
	gzipFlagExtra = 1 << 2
	seqSubfield   = "BL"
)

// GzipExtra is the gzip header's extra field for file number seq.
func GzipExtra(seq uint64) []byte {
	b := append([]byte(seqSubfield), 8, 0) // length 8, little-endian
	return binary.BigEndian.AppendUint64(b, seq)
}

// ReadSeq reads the sequence number of a log file opened at its start:
// from its header record, or if it is compressed, from its gzip header.
// False if it has none (a file being created, or damage).
func ReadSeq(f io.Reader, compressed bool) (uint64, bool) {
	if !compressed {
		return ReadHeader(f)
	}
	var b [12]byte
	if _, err := io.ReadFull(f, b[:]); err != nil || b[0] != 0x1f || b[1] != 0x8b || b[3]&gzipFlagExtra == 0 {
		return 0, false
	}
	extra := make([]byte, binary.LittleEndian.Uint16(b[10:]))
	if _, err := io.ReadFull(f, extra); err != nil {
		return 0, false
	}
	for len(extra) >= 4 {
		id, n := string(extra[:2]), int(binary.LittleEndian.Uint16(extra[2:]))
		if len(extra) < 4+n {
			break
		}
		if id == seqSubfield && n == 8 {
			return binary.BigEndian.Uint64(extra[4:]), true
		}
		extra = extra[4+n:]
	}
	return 0, false
}

// fileSeq is ReadSeq for the open file name.
func fileSeq(f *os.File, name string) uint64 {
	seq, _ := ReadSeq(f, strings.HasSuffix(name, GzExt))
	return seq
}
