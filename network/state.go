package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"time"

	"github.com/berth/berth/atomicfile"
)

const stateFile = "bridge.json"

// networksDir holds one <id>.json per user-defined network.
const networksDir = "networks"

// state is what one network's file holds: its configuration and endpoints.
// The default network's file (bridge.json) has no Name: it is "bridge",
// and its bridge and options come from the daemon's flags.
type state struct {
	NetworkID string
	Name      string    `json:",omitempty"`
	Created   time.Time `json:",omitzero"`
	Bridge    string    `json:",omitempty"` // kernel bridge of a user-defined network
	Subnet    netip.Prefix
	IPRange   netip.Prefix `json:",omitzero"` // where addresses are handed out from; zero: the subnet
	Gateway   netip.Addr
	// UserSubnet records that the subnet was asked for at create: only
	// then may containers ask for a fixed address, as with Docker.
	UserSubnet bool              `json:",omitempty"`
	Internal   bool              `json:",omitempty"`
	Attachable bool              `json:",omitempty"`
	Labels     map[string]string `json:",omitempty"`
	Options    map[string]string `json:",omitempty"`
	// Last is the address handed out most recently; allocation continues
	// after it, so a released address is reused only once the pool wraps.
	Last      netip.Addr
	Endpoints map[string]*endpointState // by container ID

	path      string              // the file this state lives in
	releasing map[netip.Addr]bool // addresses of veths being deleted: not free yet (Manager.relMu)
}

// endpointState is one container's attachment.
type endpointState struct {
	EndpointID string
	Address    netip.Prefix // the container's address with the subnet's length
	Gateway    netip.Addr
	MacAddress string
	HostVeth   string   // host side of the veth pair, enslaved to the bridge
	IfName     string   `json:",omitempty"` // inside the container; "" is eth0
	Name       string   `json:",omitempty"` // the container's name, for DNS
	Aliases    []string `json:",omitempty"` // network-scoped aliases, for DNS
	// Links are this container's link aliases (alias -> container name):
	// names its own resolver answers, for it alone.
	Links map[string]string `json:",omitempty"`
	// DNSServers are the container's --dns servers, for its resolver.
	DNSServers []netip.Addr `json:",omitempty"`
	Route      bool         `json:",omitempty"` // carries the container's default route
}

func (ep *endpointState) ifName() string {
	if ep.IfName == "" {
		return "eth0"
	}
	return ep.IfName
}

// loadState reads path; a missing file is an empty state.
func loadState(path string) (*state, error) {
	st := &state{Endpoints: map[string]*endpointState{}, path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("network state %s: %w", path, err)
	}
	if st.Endpoints == nil {
		st.Endpoints = map[string]*endpointState{}
	}
	for _, ep := range st.Endpoints {
		if ep.IfName == "" { // written before endpoints had names: eth0 with the route
			ep.Route = true
		}
	}
	return st, nil
}

// save replaces the state's file atomically: temp file in the same
// directory, fsync, rename, fsync of the directory.
func (st *state) save(path string) error {
	b, err := json.MarshalIndent(st, "", "\t")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o600)
}

// commit saves the state to its own file.
func (st *state) commit() error {
	if err := st.save(st.path); err != nil {
		return fmt.Errorf("save network state: %w", err)
	}
	return nil
}
