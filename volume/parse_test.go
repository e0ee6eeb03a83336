package volume

import (
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

func TestParseBind(t *testing.T) {
	cases := []struct {
		in   string
		want Mount
		err  string
	}{
		{in: "/data", want: Mount{Type: mount.TypeVolume, Destination: "/data", RW: true, Driver: "local"}},
		{in: "vol:/data", want: Mount{Type: mount.TypeVolume, Name: "vol", Destination: "/data", RW: true, Driver: "local", Mode: "z"}},
		{in: "vol:/data:ro", want: Mount{Type: mount.TypeVolume, Name: "vol", Destination: "/data", Driver: "local", Mode: "ro"}},
		{in: "vol:/data:nocopy", want: Mount{Type: mount.TypeVolume, Name: "vol", Destination: "/data", RW: true, Driver: "local", Mode: "nocopy", NoCopy: true}},
		{in: "/host/:/ctr/", want: Mount{Type: mount.TypeBind, Source: "/host", Destination: "/ctr", RW: true, CreateSource: true}},
		{in: "/host:/ctr:ro,Z", want: Mount{Type: mount.TypeBind, Source: "/host", Destination: "/ctr", Mode: "ro,Z", CreateSource: true}},
		{in: "/host:/ctr:rw,z,rshared", want: Mount{Type: mount.TypeBind, Source: "/host", Destination: "/ctr", RW: true, Mode: "rw,z,rshared", Propagation: mount.PropagationRShared, CreateSource: true}},
		{in: "", err: "invalid volume specification: ''"},
		{in: "/foo:rw", err: "invalid volume specification: '/foo:rw'"},
		{in: "a:b:c:d", err: "invalid volume specification: 'a:b:c:d'"},
		{in: "/host:/ctr:ro,rw", err: "invalid mode: ro,rw"},
		{in: "/host:/ctr:bogus", err: "invalid mode: bogus"},
		{in: "/host:/ctr:nocopy", err: "invalid mode: nocopy"},
		{in: "vol:/ctr:rshared", err: "invalid mode: rshared"},
		{in: "vol:rel", err: `invalid volume specification: 'vol:rel': invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`},
		{in: "/host:/", err: `destination can't be '/'`},
		{in: "a b:/x", err: `"a b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`},
		{in: "x:/x", err: "volume name is too short"},
	}
	for _, c := range cases {
		got, err := ParseBind(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseBind(%q) = %v, want error %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseBind(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestFromMount(t *testing.T) {
	cases := []struct {
		in   mount.Mount
		want Mount
		err  string
	}{
		{in: mount.Mount{Type: "bind", Source: "/h", Target: "/c", ReadOnly: true, BindOptions: &mount.BindOptions{Propagation: "rslave", NonRecursive: true}},
			want: Mount{Type: "bind", Source: "/h", Destination: "/c", Propagation: "rslave", NonRecursive: true}},
		{in: mount.Mount{Type: "volume", Source: "vol", Target: "/c", VolumeOptions: &mount.VolumeOptions{NoCopy: true}},
			want: Mount{Type: "volume", Name: "vol", Destination: "/c", RW: true, Driver: "local", NoCopy: true}},
		{in: mount.Mount{Type: "volume", Target: "/c"}, want: Mount{Type: "volume", Destination: "/c", RW: true, Driver: "local"}},
		{in: mount.Mount{Type: "tmpfs", Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o1777}},
			want: Mount{Type: "tmpfs", Destination: "/t", RW: true, TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o1777}}},
		{in: mount.Mount{Type: "bind", Target: "/c"}, err: `invalid mount config for type "bind": field Source must not be empty`},
		{in: mount.Mount{Type: "bind", Source: "/h"}, err: "field Target must not be empty"},
		{in: mount.Mount{Type: "bind", Source: "/h", Target: "c"}, err: "mount path must be absolute"},
		{in: mount.Mount{Type: "tmpfs", Source: "x", Target: "/c"}, err: "field Source must not be specified"},
		{in: mount.Mount{Type: "volume", Target: "/c", BindOptions: &mount.BindOptions{}}, err: "field BindOptions must not be specified"},
		{in: mount.Mount{Type: "bogus", Target: "/c"}, err: "mount type unknown"},
		{in: mount.Mount{Type: "image", Source: "x", Target: "/c"}, err: "not supported by Berth yet"},
		{in: mount.Mount{Type: "volume", Target: "/c", VolumeOptions: &mount.VolumeOptions{DriverConfig: &mount.Driver{Options: map[string]string{"type": "tmpfs"}}}}, err: `missing required option: "device"`},
	}
	for _, c := range cases {
		got, err := FromMount(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("FromMount(%+v) = %v, want error %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("FromMount(%+v) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParseDuplicatesAndImageVolumes(t *testing.T) {
	hc := &container.HostConfig{Binds: []string{"/h:/data"}, Mounts: []mount.Mount{{Type: "tmpfs", Target: "/tmp/x"}}}
	ms, err := Parse(hc, map[string]struct{}{"/data/": {}, "/cache": {}})
	if err != nil {
		t.Fatal(err)
	}
	var dsts []string
	for _, m := range ms {
		dsts = append(dsts, m.Destination)
	}
	if want := []string{"/data", "/tmp/x", "/cache"}; !reflect.DeepEqual(dsts, want) {
		t.Errorf("destinations %v, want %v", dsts, want)
	}
	for _, hc := range []*container.HostConfig{
		{Binds: []string{"/a:/x", "b1:/x/"}},
		{Binds: []string{"/a:/x"}, Mounts: []mount.Mount{{Type: "volume", Target: "/x"}}},
		{Binds: []string{"/a:/x"}, Tmpfs: map[string]string{"/x": ""}},
	} {
		if _, err := Parse(hc, nil); err == nil || err.Error() != "Duplicate mount point: /x" {
			t.Errorf("Parse(%+v) = %v, want duplicate", hc, err)
		}
	}
}

func TestOCI(t *testing.T) {
	cases := []struct {
		m    Mount
		opts []string
	}{
		{Mount{Type: "bind", Source: "/h", Destination: "/c", RW: true}, []string{"rbind", "rw", "rprivate"}},
		{Mount{Type: "bind", Source: "/h", Destination: "/c", Propagation: "rshared", NonRecursive: true}, []string{"bind", "ro", "rshared"}},
		{Mount{Type: "volume", Source: "/v/_data", Destination: "/c", RW: true}, []string{"rbind", "rw", "rprivate"}},
		{Mount{Type: "tmpfs", Destination: "/t", RW: true, TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 4096, Mode: 0o700}}, []string{"noexec", "nosuid", "nodev", "size=4096", "mode=700"}},
	}
	for _, c := range cases {
		got := c.m.OCI()
		if !reflect.DeepEqual(got.Options, c.opts) || got.Destination != c.m.Destination {
			t.Errorf("OCI(%+v) = %+v, want options %v", c.m, got, c.opts)
		}
	}
	if mp := (Mount{Type: "bind", Source: "/h", Destination: "/c"}).MountPoint(); mp.Propagation != "rprivate" || mp.RW {
		t.Errorf("bind MountPoint = %+v", mp)
	}
}
