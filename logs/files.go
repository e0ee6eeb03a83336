package logs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// logFile is one open file of a log, with the name it had when opened.
type logFile struct {
	name string
	*os.File
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
		files = append(files, logFile{name, f})
	}
	return files, nil
}

// logNames lists the log's files, oldest first: <path>.N (highest N
// first), then <path> if it exists. Gaps in N are fine: JSONFile renames
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

// rotatedNames lists <path>.N files, oldest (highest N) first.
func rotatedNames(path string) ([]string, error) {
	nums, err := rotatedNums(path)
	names := make([]string, len(nums))
	for i, n := range nums {
		names[i] = rotatedName(path, n)
	}
	return names, err
}

// rotatedNums lists the N of the <path>.N files, highest first.
func rotatedNums(path string) ([]int, error) {
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	prefix := filepath.Base(path) + "."
	var nums []int
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), prefix)
		if n, err := strconv.Atoi(suffix); ok && err == nil && n > 0 {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	slices.Reverse(nums)
	return nums, nil
}

func rotatedName(path string, n int) string { return path + "." + strconv.Itoa(n) }

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
