package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth/berth/test/fixture"
	"golang.org/x/sys/unix"
)

// diskFullSize is the size of the filesystem berthd's data root is on:
// the blob of a 100 MiB layer (incompressible data) cannot be downloaded,
// a 40 MiB layer downloads but cannot also be unpacked, two 50 MiB layers
// downloading at once fill it, during the downloads or the first
// unpacking, and of four 12 MiB layers the first ones are unpacked before
// the disk is full.
const diskFullSize = "60m"

// diskFullRefs are the images TestRegistryPullDiskFull pulls.
type diskFullRefs struct {
	large, mid, both, four, small string
	reg                           *testRegistry
}

// TestRegistryPullDiskFull: berthd's data root, on a small tmpfs and then
// on a small ext4, fills up during a pull: while a layer downloads (from
// the registry, and from a mirror: no other endpoint is tried), while one
// unpacks, and with several layers in flight. Each pull fails with the
// no-space error (exit 1) and leaves nothing behind: no image, layer,
// blob, partial download or temp file, and the space it took is free
// again. A small image then pulls and runs, a failed pull beside it
// leaves it whole, and after restarts only what it uses is on disk.
func TestRegistryPullDiskFull(t *testing.T) {
	reg := startRegistry(t, false)
	src := startDaemon(t)
	refs := diskFullRefs{reg: reg,
		large: pushLarge(t, src, reg, fixture.LargeImage(t, 1, 100), "library/large:1"), // Docker Hub's large:1 on the mirror
		mid:   pushLarge(t, src, reg, fixture.LargeImage(t, 1, 40), "mid:1"),
		both:  pushLarge(t, src, reg, fixture.LargeImage(t, 2, 100), "both:1"),
		four:  pushLarge(t, src, reg, fixture.LargeImage(t, 4, 48), "four:1"),
		small: reg.Host + "/small:1",
	}
	loadFixture(t, src, "docker", fixture.Options{RepoTags: []string{"small-src:1"}, Marker: "diskfull"})
	must(t, src.docker("tag", "small-src:1", refs.small))
	must(t, src.docker("push", refs.small))
	src.stop()
	for _, fstype := range []string{"tmpfs", "ext4"} {
		t.Run(fstype, func(t *testing.T) { pullOnFullDisk(t, refs, smallFilesystem(t, fstype, diskFullSize)) })
	}
}

// pullOnFullDisk runs the pulls of TestRegistryPullDiskFull with berthd's
// data root on the filesystem mounted at root.
func pullOnFullDisk(t *testing.T, refs diskFullRefs, root string) {
	dataRoot := filepath.Join(root, "data")
	d := startDaemon(t, "--data-root", dataRoot, "--registry-mirror", "http://"+refs.reg.Host) // the last --data-root wins
	d.DataRoot = dataRoot
	empty := usedBytes(t, root)
	fails := func(name, ref, shape string) {
		t.Helper()
		r := d.docker("pull", ref)
		if r.Code != 1 || !strings.Contains(r.Stderr, shape) || !strings.Contains(r.Stderr, "no space left on device") {
			t.Errorf("%s: want exit 1 and %q...no space left on device, got %s", name, shape, r)
		}
		if used := usedBytes(t, root); used > empty+1<<20 {
			t.Errorf("%s: %d bytes still used after the failed pull, %d before it", name, used, empty)
		}
	}
	written := "write " + dataRoot + "/" // Docker: write /var/lib/docker/tmp/GetImageBlob…: no space left on device
	for _, c := range []struct{ name, ref, shape string }{
		{"download", refs.large, written},
		{"extract", refs.mid, "failed to register layer: "},
		{"two layers", refs.both, ""},
		{"four layers", refs.four, ""},
		// Not a reason to try the next endpoint (Docker Hub here), as in Docker.
		{"download through a mirror", "large:1", written},
	} {
		fails(c.name, c.ref, c.shape)
		checkDataRootEmpty(t, d, "after the pull that filled the disk during "+c.name)
	}

	out := must(t, d.docker("pull", refs.small))
	if !strings.Contains(out, "Status: Downloaded newer image for "+refs.small) {
		t.Errorf("small pull after the failures:\n%s", out)
	}
	empty = usedBytes(t, root)
	fails("extract beside an image", refs.mid, "failed to register layer: ")
	must(t, d.docker("run", "--rm", "--network", "none", refs.small, "true"))
	checkOnlySmall(t, d, refs, "after a failed pull beside it")
	d.stop()
	d.start()
	checkOnlySmall(t, d, refs, "after restart")
	must(t, d.docker("rmi", refs.small))
	d.stop()
	d.start()
	checkDataRootEmpty(t, d, "after removing the small image and a restart")
}

// checkOnlySmall fails t unless the small image is berthd's only image and
// its layers and blobs are all that is stored.
func checkOnlySmall(t *testing.T, d *daemon, refs diskFullRefs, when string) {
	t.Helper()
	if ids := lines(must(t, d.docker("images", "-aq"))); len(ids) != 1 {
		t.Errorf("%s: images %q, want the small one", when, ids)
	}
	want := len(refs.reg.layerBlobs(t, "small", "1"))
	if n := dirEntries(t, d.DataRoot, "layers/sha256"); n != want {
		t.Errorf("%s: %d layers, want the small image's %d", when, n, want)
	}
	if n := dirEntries(t, d.DataRoot, "image/distribution/blobs/sha256"); n != want+1 {
		t.Errorf("%s: %d distribution blobs, want the small image's %d layers and its manifest", when, n, want)
	}
	for _, dir := range []string{"layers/tmp", "image/tmp", "image/content/ingest", "image/distribution/ingest"} {
		if n := dirEntries(t, d.DataRoot, dir); n != 0 {
			t.Errorf("%s: %d entries left in %s", when, n, dir)
		}
	}
}

// pushLarge loads img into src and pushes it to reg as name; it returns
// the reference.
func pushLarge(t *testing.T, src *daemon, reg *testRegistry, img *fixture.Image, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "large.tar")
	if err := os.WriteFile(path, img.DockerArchive(t), 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, src.docker("load", "-q", "-i", path))
	ref := reg.Host + "/" + name
	must(t, src.docker("tag", img.Options.RepoTags[0], ref))
	must(t, src.docker("push", ref))
	must(t, src.docker("rmi", ref, img.Options.RepoTags[0]))
	return ref
}

// smallFilesystem mounts a filesystem of type fstype (tmpfs, or ext4 on a
// loop device) and size on a new directory and unmounts it when t ends
// (after the daemons on it stopped).
func smallFilesystem(t *testing.T, fstype, size string) string {
	t.Helper()
	dir := t.TempDir()
	if fstype == "tmpfs" {
		if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
			t.Fatalf("mounting a tmpfs: %v", err)
		}
	} else {
		if _, err := exec.LookPath("mkfs." + fstype); err != nil {
			t.Skipf("mkfs.%s not installed: %v", fstype, err)
		}
		img := filepath.Join(t.TempDir(), "fs.img")
		for _, cmd := range [][]string{
			{"truncate", "-s", size, img},
			{"mkfs." + fstype, "-q", "-m", "0", img}, // no blocks reserved for root: berthd runs as root
			{"mount", "-o", "loop", img, dir},        // the loop device goes with the unmount
		} {
			if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", cmd, err, out)
			}
		}
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting the %s: %v", fstype, err)
			_ = unix.Unmount(dir, unix.MNT_DETACH)
		}
	})
	return dir
}

// usedBytes is the space in use on the filesystem of dir.
func usedBytes(t *testing.T, dir string) uint64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return (st.Blocks - st.Bfree) * uint64(st.Bsize)
}

// dirEntries counts the entries of the directory rel under root.
func dirEntries(t *testing.T, root, rel string) int {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(root, rel))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return len(es)
}

// checkDataRootEmpty fails t if berthd lists an image or keeps a layer, a
// blob, an image config, a partial download or a temporary file.
func checkDataRootEmpty(t *testing.T, d *daemon, when string) {
	t.Helper()
	if ids := must(t, d.docker("images", "-aq")); strings.TrimSpace(ids) != "" {
		t.Errorf("%s: images left: %q", when, ids)
	}
	for _, dir := range []string{"layers/sha256", "layers/tmp", "image/tmp", "image/content/blobs/sha256", "image/content/ingest",
		"image/distribution/blobs/sha256", "image/distribution/ingest"} {
		if n := dirEntries(t, d.DataRoot, dir); n != 0 {
			t.Errorf("%s: %d entries left in %s", when, n, dir)
		}
	}
	_ = filepath.WalkDir(d.DataRoot, func(path string, e os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s: temporary file left: %s", when, path)
		}
		return nil
	})
}
