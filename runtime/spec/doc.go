// Package spec turns a Docker container configuration into an OCI runtime
// spec (config.json) with Docker's process semantics: how `docker create`
// merges the image config, how it builds argv, env, user and working
// directory, and which namespaces, mounts, capabilities, devices, seccomp
// filter, masked and read-only paths and cgroup resources a container gets.
//
// The package only computes; it does not touch the rootfs except to read
// /etc/passwd and /etc/group inside it (never following a symlink out of it),
// and reads a few host facts: the capabilities Berth holds (CapEff), the cgroup
// version, /dev for privileged containers, and which sysctls exist.
//
// What needs another area is not done here: bind mounts and volumes, port
// publishing, links, host devices (--device), and joining other containers'
// namespaces are added to the spec, or rejected, by the daemon. The network
// namespace is created by the runtime unless Options.NetNSPath names one.
//
// Generate records two annotations for ExecProcess, which has only the spec
// to work from: "org.berth.group-add" (HostConfig.GroupAdd, JSON) and
// "org.berth.default-env" (the per-process variables Generate defaulted,
// HOME and TERM), so that an exec with another user or without a TTY gets
// the HOME and TERM Docker would give it.
package spec
