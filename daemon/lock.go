package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berth/berth/atomicfile"
	"golang.org/x/sys/unix"
)

// Lock claims dataRoot for this process, so that a second daemon on the same
// data root refuses to start, and writes the pid file. The returned func
// releases both.
func Lock(dataRoot, pidfile string) (release func(), err error) {
	lockPath := filepath.Join(dataRoot, "berthd.lock")
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		holder, _ := os.ReadFile(lockPath)
		return nil, fmt.Errorf("data root %s is in use by another berthd (pid %s)", dataRoot, strings.TrimSpace(string(holder)))
	}
	pid := strconv.Itoa(os.Getpid())
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(pid+"\n"), 0)
	if err := writePidfile(pidfile, pid); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		os.Remove(pidfile)
		f.Close()
	}, nil
}

// writePidfile refuses a pid file that names another live process.
func writePidfile(path, pid string) error {
	if b, err := os.ReadFile(path); err == nil {
		if old, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && old != os.Getpid() {
			if unix.Kill(old, 0) == nil && isBerthd(old) {
				return fmt.Errorf("pid file found, ensure berthd is not running or delete %s", path)
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, []byte(pid+"\n"), 0o644)
}

func isBerthd(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.HasPrefix(strings.TrimSpace(string(comm)), "berthd")
}

// EngineID returns the daemon's persistent random ID, made at first start.
func EngineID(dataRoot string) (string, error) {
	path := filepath.Join(dataRoot, "engine-id")
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	h := hex.EncodeToString(buf)
	id := fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
	return id, atomicfile.Write(path, []byte(id+"\n"), 0o644)
}
