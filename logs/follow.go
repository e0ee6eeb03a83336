package logs

import (
	"context"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/berth/berth/logs/logfile"
)

// follow yields messages as they are written to cur (nil: the log does
// not exist yet) and to the files that replace it at each rotation.
func (r *reader) follow(ctx context.Context, cur *logFile) error {
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	if cur != nil && r.format.bySeq() {
		cur.seq, _ = fileSeq(*cur)
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	done, final := r.opts.Done, false
	for {
		next, err := r.successor(cur)
		if err != nil {
			return err
		}
		if cur != nil {
			if err := r.drainFollowed(cur); err != nil {
				return err
			}
		}
		if next != nil {
			if cur != nil {
				cur.Close()
			}
			cur = next
			if err := r.open(*cur, 0); err != nil {
				return err
			}
			continue
		}
		if final || r.pastUntil() {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			final, done = true, nil // one more pass reads what was written last
		case <-tick.C:
		}
	}
}

func (r *reader) pastUntil() bool {
	return !r.opts.Until.IsZero() && time.Now().After(r.opts.Until)
}

// drainFollowed is drain for the followed file, which someone may have
// truncated: then it reads again from the start.
func (r *reader) drainFollowed(cur *logFile) error {
	if !cur.gz {
		if fi, err := cur.Stat(); err == nil && fi.Size() < r.sc.off {
			if err := r.sc.reset(cur.File, 0); err != nil {
				return err
			}
		}
	}
	return r.drain()
}

// successor returns the file written after cur once cur was rotated away
// (nil while cur is still the log, or its successor is not there yet).
// Called before cur is drained: once rotated, cur gets no more messages.
func (r *reader) successor(cur *logFile) (*logFile, error) {
	if cur != nil && !cur.gz && sameFile(cur.File, r.path) {
		return nil, nil
	}
	if r.format.bySeq() {
		return r.nextBySeq(cur)
	}
	return r.nextByName(cur)
}

// nextByName finds the successor of cur by the names of the files.
// Rotation moves files to higher numbers only, so if cur is <path>.k
// both before and after <path>.k-1 (or <path> for k = 1) is opened, the
// file opened is the one written after cur.
func (r *reader) nextByName(cur *logFile) (*logFile, error) {
	if cur == nil || isDeleted(cur.File) {
		return r.oldest() // nothing read yet, or cur was rotated out
	}
	nums, err := rotatedNums(r.path)
	if err != nil {
		return nil, err
	}
	for _, k := range nums {
		name := logfile.RotatedName(r.path, k)
		if !sameFile(cur.File, name) {
			continue
		}
		next := r.path
		if k > 1 {
			next = logfile.RotatedName(r.path, k-1)
		}
		f, err := os.Open(next)
		if err != nil {
			return nil, nil // not renamed into place yet
		}
		if sameFile(cur.File, name) {
			return &logFile{name: next, File: f}, nil
		}
		f.Close()
		return nil, nil
	}
	return nil, nil // cur is being renamed: look again later
}

// oldest opens the oldest file of the log, if any.
func (r *reader) oldest() (*logFile, error) {
	files, err := openFiles(r.path)
	if err != nil || len(files) == 0 {
		return nil, err
	}
	closeFiles(files[1:])
	return &files[0], nil
}

// nextBySeq finds the successor of cur by the sequence numbers in the
// headers of the log's files: the oldest file numbered after cur. That is
// the next one, or if the follower fell behind so far that it was
// removed, the oldest one left. Renames and compression do not matter.
func (r *reader) nextBySeq(cur *logFile) (*logFile, error) {
	files, err := openFiles(r.path)
	if err != nil {
		return nil, err
	}
	var next *logFile
	for i := range files {
		f := &files[i]
		if next == nil {
			if seq, ok := fileSeq(*f); ok && (cur == nil || seq > cur.seq) {
				f.seq, next = seq, f
				continue
			}
		}
		f.Close()
	}
	return next, nil
}

// fileSeq reads f's sequence number (the local format); false if it has
// none.
func fileSeq(f logFile) (uint64, bool) {
	return logfile.ReadSeq(io.NewSectionReader(f.File, 0, 1<<20), f.gz)
}

// isDeleted says whether f has no name left (a rotation dropped it).
func isDeleted(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}
