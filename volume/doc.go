// Package volume keeps named volumes of the local driver and turns a
// container's -v, --mount and image VOLUME specifications into the mounts it
// runs with.
//
// On-disk layout, Docker's, under <data-root>/volumes:
//
//	<name>/_data         the volume's content (its Mountpoint)
//	<name>/berth.json    metadata: driver, labels, options, creation time
//
// A directory without berth.json (left by dockerd, or by a crash between the
// mkdir and the metadata write) is loaded as a plain local volume.
//
// References (which containers use a volume) are kept in memory only: the
// daemon takes them again with Ref for every container it restores at boot.
// A referenced volume cannot be removed or pruned. Anonymous volumes carry
// Docker's label com.docker.volume.anonymous, which is what prune (without
// all=true) and Release(removeAnonymous) go by.
//
// A volume with the local driver's options type/device/o is a filesystem
// mounted on its _data while some container (or cp view) uses it; Mount and
// Unmount count those users (driveropts.go, use.go). ParseVolumesFrom,
// Inherit and ResolveWith give a container the mounts of --volumes-from.
package volume
