package spec

import (
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestDeviceMapping(t *testing.T) {
	devs, rules, err := deviceMapping(container.DeviceMapping{PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 1 || devs[0].Path != "/dev/mynull" || devs[0].Type != "c" || devs[0].Major != 1 || devs[0].Minor != 3 {
		t.Errorf("devices %+v", devs)
	}
	if len(rules) != 1 || !rules[0].Allow || rules[0].Access != "r" || *rules[0].Major != 1 || *rules[0].Minor != 3 {
		t.Errorf("rules %+v", rules)
	}
	// A directory maps the device nodes below it, under the container path.
	devs, _, err = deviceMapping(container.DeviceMapping{PathOnHost: "/dev/net", PathInContainer: "/dev/n", CgroupPermissions: "rwm"})
	if err == nil && (len(devs) == 0 || !strings.HasPrefix(devs[0].Path, "/dev/n/")) {
		t.Errorf("directory: %+v", devs)
	}
	_, _, err = deviceMapping(container.DeviceMapping{PathOnHost: "/dev/nonexistent", PathInContainer: "/dev/x", CgroupPermissions: "rwm"})
	if err == nil || err.Error() != `error gathering device information while adding custom device "/dev/nonexistent": no such file or directory` {
		t.Errorf("missing device: %v", err)
	}
	if _, _, err = deviceMapping(container.DeviceMapping{PathOnHost: "/etc/hostname", PathInContainer: "/dev/x", CgroupPermissions: "rwm"}); err == nil {
		t.Error("a regular file mapped as a device")
	}
}

func TestDeviceRulesIncludeMappings(t *testing.T) {
	hc := &container.HostConfig{Resources: container.Resources{
		Devices:           []container.DeviceMapping{{PathOnHost: "/dev/null", PathInContainer: "/dev/n", CgroupPermissions: "rw"}},
		DeviceCgroupRules: []string{"c 10:200 rwm"},
	}}
	rules, err := deviceRules(hc)
	if err != nil {
		t.Fatal(err)
	}
	n := len(defaultDeviceRules())
	if len(rules) != n+2 || rules[n].Access != "rw" || *rules[n+1].Major != 10 {
		t.Errorf("rules %+v", rules[n:])
	}
	devs, err := containerDevices(hc)
	if err != nil || len(devs) != 1 || devs[0].Path != "/dev/n" {
		t.Errorf("devices %+v %v", devs, err)
	}
}

func TestUpdateResources(t *testing.T) {
	limit := int64(20)
	r, err := UpdateResources(container.Resources{Memory: 64 << 20, MemorySwap: 128 << 20, NanoCPUs: 5e8, PidsLimit: &limit})
	if err != nil {
		t.Fatal(err)
	}
	if r.Devices != nil || *r.Memory.Limit != 64<<20 || *r.Memory.Swap != 128<<20 || *r.CPU.Quota != 50000 || *r.CPU.Period != 100000 || *r.Pids.Limit != 20 {
		t.Errorf("%+v", r)
	}
}
