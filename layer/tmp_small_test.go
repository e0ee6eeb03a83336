package layer

import (
	"archive/tar"
	"bytes"
	"fmt"
	"testing"
	"time"
)

func patchHeader(b []byte, off int, typeflag byte, patch func(blk []byte)) {
	blk := b[off : off+512]
	blk[156] = typeflag
	if patch != nil {
		patch(blk)
	}
	copy(blk[148:156], "        ")
	sum := 0
	for _, c := range blk {
		sum += int(c)
	}
	copy(blk[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

func TestSparseTmp(t *testing.T) {
	for _, pax := range []bool{false, true} {
		ts := newTestStore(t)
		var data []byte
		if pax {
			rec := func(k, v string) string {
				s := " " + k + "=" + v + "\n"
				n := len(s) + 2
				if len(fmt.Sprint(n)+s) != n { n++ }
				return fmt.Sprint(n) + s
			}
			recs := rec("GNU.sparse.major", "0") + rec("GNU.sparse.minor", "1") + rec("GNU.sparse.numblocks", "1") + rec("GNU.sparse.map", "0,0") + rec("GNU.sparse.size", "1125899906842624")
			data = makeTar(t, file("PaxHeaders/s", recs), file("s", ""))
			patchHeader(data, 0, tar.TypeXHeader, nil)
		} else {
			data = makeTar(t, file("s", ""))
			patchHeader(data, 0, tar.TypeGNUSparse, func(blk []byte) {
				copy(blk[257:265], "ustar  \x00")
				blk[483] = 0x80
				copy(blk[484:495], []byte{0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0})
			})
		}
		start := time.Now()
		_, err := ts.Register(bytes.NewReader(data), "")
		t.Log(pax, err, time.Since(start))
	}
}
