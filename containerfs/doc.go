// Package containerfs reads and writes a container's filesystem for the
// archive (docker cp), export and commit APIs, without ever touching a file
// outside the container.
//
// Every operation runs in a View: a goroutine locked to its own OS thread
// that has unshared its filesystem attributes and mount namespace, made that
// namespace a slave of the host's (so nothing it mounts leaks back), mounted
// the container's root filesystem and its volumes and binds there, and then
// chrooted into the root. From then on the kernel itself resolves every path
// of the operation inside the container: ".." stops at the container's root
// and an absolute symlink starts from it, however the container changes its
// files while we work (the symlink-swap race of CVE-2018-15664 cannot reach
// the host, because the host is not in that thread's view at all). Mount
// points are resolved before the chroot with filepath-securejoin's
// pathrs-lite (openat2 RESOLVE_IN_ROOT) and mounted through the returned
// file descriptor, so a symlinked mount destination cannot point a mount
// outside either. The thread is never unlocked: when the View closes, the
// thread exits and takes its namespace, mounts and root with it, so no mount
// is left behind on any path.
//
// On top of this, Extract refuses tar entries that climb out of the
// extraction directory ("../"), symlinks whose target leaves it lexically
// and hardlinks to files outside it, as Docker does.
package containerfs
