package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/berth/berth/atomicfile"
	"io/fs"
	"net/netip"
	"os"
)

const stateFile = "bridge.json"

// state is what bridge.json holds: the default network and its endpoints.
type state struct {
	NetworkID string
	Subnet    netip.Prefix
	Gateway   netip.Addr
	// Last is the address handed out most recently; allocation continues
	// after it, so a released address is reused only once the pool wraps.
	Last      netip.Addr
	Endpoints map[string]*endpointState // by container ID
}

// endpointState is one container's attachment.
type endpointState struct {
	EndpointID string
	Address    netip.Prefix // the container's address with the subnet's length
	Gateway    netip.Addr
	MacAddress string
	HostVeth   string // host side of the veth pair, enslaved to the bridge
}

// loadState reads path; a missing file is an empty state.
func loadState(path string) (*state, error) {
	st := &state{Endpoints: map[string]*endpointState{}}
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
	return st, nil
}

// save replaces path with st atomically: temp file in the same directory,
// fsync, rename, fsync of the directory.
func (st *state) save(path string) error {
	b, err := json.MarshalIndent(st, "", "\t")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o600)
}
