package logs

import (
	"bytes"
	"io"
	"os"
)

// tailStart finds where the last n complete lines of files (oldest first)
// begin: the index of the file and the offset in it.
func tailStart(files []logFile, n int) (int, int64, error) {
	for i := len(files) - 1; i >= 0; i-- {
		off, found, err := tailOffset(files[i].File, n)
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

// tailOffset returns the offset at which the last n complete lines of f
// start, reading backwards; with fewer lines it returns 0 and their count.
// A last line without its newline is not complete and not counted.
func tailOffset(f *os.File, n int) (int64, int, error) {
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
