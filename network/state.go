package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
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
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
