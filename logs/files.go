package logs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/berth/berth/logs/logfile"
)

// logFile is one open file of a log, with the name it had when opened.
type logFile struct {
	name string
	*os.File
	gz  bool   // gzip-compressed (<path>.N.gz)
	seq uint64 // the local format's file number, once read
}

// openFiles opens every file of the log at path, oldest first (<path>.N-1
// ... <path>.1, <path>). It retries until it holds a set no rotation
// changed while it was opening it: the directory lists the same names and
// each still names the file opened. Missing files give an empty set.
func openFiles(path string) ([]logFile, error) {
	for {
		names, err := logNames(path)
		if err != nil {
			return nil, err
		}
		files, err := openNames(names)
		if err != nil {
			return nil, err
		}
		if files != nil || len(names) == 0 {
			again, err := logNames(path)
			if err != nil {
				closeFiles(files)
				return nil, err
			}
			if slices.Equal(names, again) && stillNamed(files) {
				return files, nil
			}
		}
		closeFiles(files)
	}
}

// openNames opens names; nil without error if one vanished meanwhile.
func openNames(names []string) ([]logFile, error) {
	var files []logFile
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			closeFiles(files)
			if errors.Is(err, os.ErrNotExist) {
				return nil, nil
			}
			return nil, err
		}
		files = append(files, logFile{name: name, File: f, gz: strings.HasSuffix(name, logfile.GzExt)})
	}
	return files, nil
}

// logNames lists the log's files, oldest first: <path>.N (highest N
// first), then <path> if it exists. Gaps in N are fine: the writers rename
// one file at a time.
func logNames(path string) ([]string, error) {
	names, err := rotatedNames(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil {
		names = append(names, path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return names, nil
}

// rotatedNames lists the rotated files, oldest (highest N) first:
// <path>.N, or <path>.N.gz if only that exists (while a compression is
// finishing both do, with the same messages).
func rotatedNames(path string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	plain := map[int]bool{}
	nums := rotatedIn(path, entries, plain)
	names := make([]string, len(nums))
	for i, n := range nums {
		names[i] = logfile.RotatedName(path, n)
		if !plain[n] {
			names[i] += logfile.GzExt
		}
	}
	return names, nil
}

// rotatedNums lists the N of the <path>.N and <path>.N.gz files, highest
// first.
func rotatedNums(path string) ([]int, error) {
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return rotatedIn(path, entries, nil), nil
}

// rotatedIn picks the rotated files of the log at path out of the entries
// of its directory and returns their N, highest first, once each; plain,
// if not nil, gets the N that have an uncompressed file.
func rotatedIn(path string, entries []os.DirEntry, plain map[int]bool) []int {
	prefix := filepath.Base(path) + "."
	var nums []int
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		num, gz := strings.CutSuffix(suffix, logfile.GzExt)
		n, err := strconv.Atoi(num)
		if err != nil || n <= 0 {
			continue
		}
		if !gz && plain != nil {
			plain[n] = true
		}
		nums = append(nums, n)
	}
	slices.Sort(nums)
	slices.Reverse(nums)
	return slices.Compact(nums)
}

// stillNamed says whether every file is still at its name: a rotation
// moves some file to a name that held another, or away from its name.
func stillNamed(files []logFile) bool {
	for _, f := range files {
		if !sameFile(f.File, f.name) {
			return false
		}
	}
	return true
}

// sameFile says whether name currently names f.
func sameFile(f *os.File, name string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	ni, err := os.Stat(name)
	return err == nil && os.SameFile(fi, ni)
}

func closeFiles(files []logFile) {
	for _, f := range files {
		f.Close()
	}
}
