package server

import (
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// reaper reaps every child of the shim, which is a child subreaper: the
// runtime commands it starts, and the container's init and exec processes
// once the runtime command that made them has exited. It hands each exit
// to whoever watches that pid.
type reaper struct {
	mu      sync.Mutex       // guards waiters and early; held while starting a process
	waiters map[int]chan int // pid -> its exit code, once
	early   map[int]int      // exits of pids nobody watched yet
}

// maxEarly bounds the exits kept for pids nobody watches (orphans).
const maxEarly = 256

func newReaper() *reaper {
	r := &reaper{waiters: map[int]chan int{}, early: map[int]int{}}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGCHLD)
	go func() {
		for range sigs {
			r.reap()
		}
	}()
	return r
}

func (r *reaper) reap() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		r.mu.Lock()
		if ch, ok := r.waiters[pid]; ok {
			delete(r.waiters, pid)
			ch <- exitCode(ws)
		} else {
			if len(r.early) >= maxEarly {
				clear(r.early)
			}
			r.early[pid] = exitCode(ws)
		}
		r.mu.Unlock()
	}
}

// exitCode is Docker's exit code: the status, or 128+signal.
func exitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// start starts argv with files as its fds 0, 1, 2; its exit code arrives
// on the channel.
func (r *reaper) start(argv []string, files []*os.File) (<-chan int, error) {
	r.mu.Lock() // the reaper cannot miss the exit between start and watch
	defer r.mu.Unlock()
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{Files: files})
	if err != nil {
		return nil, err
	}
	ch := r.watchLocked(p.Pid)
	p.Release()
	return ch, nil
}

// watch reports the exit of pid, a child that was started by someone else
// (and may already be reaped).
func (r *reaper) watch(pid int) <-chan int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.watchLocked(pid)
}

func (r *reaper) watchLocked(pid int) <-chan int {
	ch := make(chan int, 1)
	if code, ok := r.early[pid]; ok {
		delete(r.early, pid)
		ch <- code
		return ch
	}
	r.waiters[pid] = ch
	return ch
}
