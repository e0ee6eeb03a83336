package containerfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// Bind is a volume or bind mount of the container, mounted into the view.
type Bind struct {
	Source       string // host path
	Destination  string // path in the container
	RW           bool
	NonRecursive bool
}

// Options describe the container's filesystem.
type Options struct {
	// MountRoot mounts the container's root filesystem, if it is not
	// mounted already, and returns its path. It runs inside the view's
	// private mount namespace, so a mount it makes vanishes with the view.
	MountRoot func() (string, error)
	// Root, when MountRoot is nil, is a plain directory to chroot into:
	// no mount namespace is made (nothing is mounted), which spares the
	// cost of tearing one down.
	Root  string
	Binds []Bind
	// ReadOnlyRoot makes the root read-only in the view (--read-only).
	ReadOnlyRoot bool
}

// View is a private, chrooted view of a container's filesystem. Its methods
// run their work on the view's thread; a View is used by one caller at a
// time and must be closed.
type View struct {
	todo chan func()
	done chan struct{}
}

// Open makes a view of the container's filesystem.
func Open(opts Options) (*View, error) {
	v := &View{todo: make(chan func()), done: make(chan struct{})}
	ready := make(chan error, 1)
	go func() {
		defer close(v.done)
		// Never unlocked: the thread exits with this goroutine, and with it
		// its mount namespace and its root.
		runtime.LockOSThread()
		if err := enter(opts); err != nil {
			ready <- err
			return
		}
		ready <- nil
		for f := range v.todo {
			f()
		}
	}()
	if err := <-ready; err != nil {
		<-v.done
		return nil, err
	}
	return v, nil
}

// Do runs f inside the view and returns its error.
func (v *View) Do(f func() error) error {
	errc := make(chan error, 1)
	v.todo <- func() { errc <- f() }
	return <-errc
}

// Close ends the view; its mounts go with its thread.
func (v *View) Close() {
	close(v.todo)
	<-v.done
}

// enter sets up the calling (locked) thread: private mount namespace,
// root and binds mounted, chroot into the root.
func enter(opts Options) error {
	if opts.MountRoot == nil {
		if len(opts.Binds) > 0 || opts.ReadOnlyRoot {
			return errors.New("containerfs: mounts need MountRoot")
		}
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			return fmt.Errorf("unshare: %w", err)
		}
		return chroot(opts.Root)
	}
	if err := unix.Unshare(unix.CLONE_FS | unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare: %w", err)
	}
	// Slave, not private: mounts of the host (a volume mounted meanwhile)
	// still show, while ours never propagate back.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return fmt.Errorf("making mounts slaves: %w", err)
	}
	root, err := opts.MountRoot()
	if err != nil {
		return err
	}
	if opts.ReadOnlyRoot {
		if err := bindSelfReadOnly(root); err != nil {
			return err
		}
	}
	binds := slices.Clone(opts.Binds)
	slices.SortStableFunc(binds, func(a, b Bind) int { return depth(a.Destination) - depth(b.Destination) })
	for _, b := range binds {
		if err := mountBind(root, b); err != nil {
			return fmt.Errorf("mounting %s: %w", b.Destination, err)
		}
	}
	return chroot(root)
}

func chroot(root string) error {
	if err := unix.Chroot(root); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	return unix.Chdir("/")
}

func depth(p string) int { return strings.Count(filepath.Clean("/"+p), "/") }

// bindSelfReadOnly puts a read-only bind of dir on top of it (this view only).
func bindSelfReadOnly(dir string) error {
	if err := unix.Mount(dir, dir, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	return unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "")
}

// mountBind mounts b at its destination, resolved inside root (created if
// missing, as the runtime does at start), through a file descriptor so no
// symlink swapped in meanwhile can redirect it.
func mountBind(root string, b Bind) error {
	fi, err := os.Stat(b.Source)
	if err != nil {
		return err
	}
	target, err := makeMountPoint(root, b.Destination, fi.IsDir())
	if err != nil {
		return err
	}
	defer target.Close()
	flags := uintptr(unix.MS_BIND | unix.MS_REC)
	if b.NonRecursive {
		flags = unix.MS_BIND
	}
	if err := unix.Mount(b.Source, procFD(target), "", flags, ""); err != nil {
		return err
	}
	if b.RW {
		return nil
	}
	// The descriptor names the directory below the new mount: reopen the
	// destination, which now resolves to the mount itself.
	mounted, err := pathrs.OpenInRoot(root, b.Destination)
	if err != nil {
		return err
	}
	defer mounted.Close()
	return unix.Mount("", procFD(mounted), "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "")
}

// makeMountPoint opens (making it if needed) the directory or file dest
// inside root.
func makeMountPoint(root, dest string, dir bool) (*os.File, error) {
	if dir {
		rootDir, err := os.Open(root)
		if err != nil {
			return nil, err
		}
		defer rootDir.Close()
		return pathrs.MkdirAllHandle(rootDir, dest, 0o755)
	}
	if f, err := pathrs.OpenInRoot(root, dest); err == nil {
		return f, nil
	}
	clean := filepath.Clean("/" + dest)
	rootDir, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	defer rootDir.Close()
	parent, err := pathrs.MkdirAllHandle(rootDir, filepath.Dir(clean), 0o755)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), filepath.Base(clean), unix.O_CREAT|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ELOOP) {
		return nil, fmt.Errorf("mount point %s is a symlink", dest)
	}
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), clean), nil
}

func procFD(f *os.File) string { return fmt.Sprintf("/proc/thread-self/fd/%d", f.Fd()) }
