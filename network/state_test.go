package network

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, stateFile)
	st, err := loadState(path)
	if err != nil || st.Subnet.IsValid() || len(st.Endpoints) != 0 {
		t.Fatalf("loadState of a missing file = %+v, %v", st, err)
	}
	st.NetworkID = randomHex()
	st.Subnet = netip.MustParsePrefix("172.17.0.0/16")
	st.Gateway = netip.MustParseAddr("172.17.0.1")
	st.Last = netip.MustParseAddr("172.17.0.3")
	st.Endpoints["c1"] = &endpointState{
		EndpointID: randomHex(),
		Address:    netip.MustParsePrefix("172.17.0.3/16"),
		Gateway:    st.Gateway,
		MacAddress: "02:42:ac:11:00:03",
		HostVeth:   "veth0123abcd",
		IfName:     "eth0",
		Route:      true,
	}
	if err := st.save(path); err != nil {
		t.Fatal(err)
	}
	if err := st.save(path); err != nil { // replaces
		t.Fatal(err)
	}
	got, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Fatalf("loaded %+v, saved %+v", got, st)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("state dir holds %d entries, want only %s", len(entries), stateFile)
	}
}

func TestCheckID(t *testing.T) {
	for id, ok := range map[string]bool{
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": true,
		"test-c_1.x": true,
		"":           false,
		".":          false,
		"..":         false,
		"a/b":        false,
		"../x":       false,
		"a b":        false,
	} {
		if err := checkID(id); (err == nil) != ok {
			t.Errorf("checkID(%q) = %v", id, err)
		}
	}
}
