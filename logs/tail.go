package logs

import (
	"bytes"
	"io"
	"os"
)

// tailStart finds where the last n messages of files (oldest first)
// begin: the index of the file and the offset in it (of its uncompressed
// content).
func (r *reader) tailStart(files []logFile, n int) (int, int64, error) {
	for i := len(files) - 1; i >= 0; i-- {
		off, found, err := r.tailOffset(files[i], n)
		if err != nil {
			return 0, 0, err
		}
		if found >= n {
			return i, off, nil
		}
		n -= found
	}
	return 0, 0, nil
}

// tailOffset is where the last n messages of f start, or 0 and how many
// it has if fewer. It walks back from the end when it can, else it reads
// f from the start (a compressed file, or one the format cannot walk).
func (r *reader) tailOffset(f logFile, n int) (int64, int, error) {
	if !f.gz {
		off, found, ok, err := r.format.tail(f.File, n)
		if ok || err != nil {
			return off, found, err
		}
	}
	if err := r.open(f, 0); err != nil {
		return 0, 0, err
	}
	return r.tailForward(n)
}

// tailForward is tailOffset by reading the scanner's file to its end,
// keeping the offsets of the last n messages.
func (r *reader) tailForward(n int) (int64, int, error) {
	var ring []int64 // ring[i%n] is where message i starts, once there are n
	count := 0
	for {
		at := r.sc.pos()
		entry, ok, err := r.sc.next()
		if err != nil {
			return 0, 0, err
		}
		if !ok {
			break
		}
		if n == 0 || !r.format.counts(entry) {
			continue
		}
		if len(ring) < n {
			ring = append(ring, at)
		} else {
			ring[count%n] = at
		}
		count++
	}
	switch {
	case n == 0:
		return r.sc.pos(), 0, nil
	case count < n:
		return 0, count, nil
	}
	return ring[count%n], n, nil
}

// lineTail returns the offset at which the last n complete lines of f
// start, reading backwards; with fewer lines it returns 0 and their count.
// A last line without its newline is not complete and not counted.
func lineTail(f *os.File, n int) (int64, int, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	need := n + 1 // the newline before the first wanted line, counting from the end
	buf := make([]byte, 64<<10)
	for pos := fi.Size(); pos > 0; {
		size := int(min(int64(len(buf)), pos))
		pos -= int64(size)
		if _, err := f.ReadAt(buf[:size], pos); err != nil && err != io.EOF {
			return 0, 0, err
		}
		for chunk := buf[:size]; ; {
			i := bytes.LastIndexByte(chunk, '\n')
			if i < 0 {
				break
			}
			if need--; need == 0 {
				return pos + int64(i) + 1, n, nil
			}
			chunk = chunk[:i]
		}
	}
	return 0, n + 1 - need, nil
}
