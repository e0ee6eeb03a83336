// Package container is the container model: configuration, run state with
// its guarded transitions, the on-disk record, and the index of containers
// by ID and name.
//
// On-disk layout under the store root (<data-root>/containers):
//
//	<id>/config.v2.json   the whole record (Config, HostConfig, State, ...),
//	                      replaced atomically (temp file, fsync, rename)
//	<id>/hostname, hosts, resolv.conf   files bind-mounted into the container
//	<id>/<id>-json.log    the json-file log, written by the container's shim
package container

import (
	"fmt"
	"sync"
	"time"

	"github.com/berth/berth/volume"
	"github.com/containerd/errdefs"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/opencontainers/go-digest"
)

// Container is one container. Its exported fields are its persistent record;
// mu guards all of them once the container is in a Store.
type Container struct {
	mu sync.Mutex

	ID           string
	Name         string // with Docker's leading "/"
	Created      time.Time
	Path         string
	Args         []string
	Config       *container.Config
	HostConfig   *container.HostConfig
	Image        digest.Digest // image ID
	ImageRef     string        // the image as the user named it
	ChainID      digest.Digest // top layer of the image ("" for an empty image)
	State        State
	LogPath      string
	RestartCount int
	// HasBeenManuallyStopped is set by a stop or kill and cleared by a
	// start: an unless-stopped container then stays down, even across a
	// daemon restart.
	HasBeenManuallyStopped bool
	// HasBeenManuallyRestarted marks the exit a `docker restart` causes,
	// which must not auto-remove the container (not persisted, as Docker).
	HasBeenManuallyRestarted bool      `json:"-"`
	Runtime                  string    // OCI runtime name
	Endpoint                 *Endpoint // the primary network endpoint while running
	// Endpoints are every network endpoint while running, by network name
	// (the primary one included).
	Endpoints map[string]*Endpoint `json:",omitempty"`
	// NetworkConfig is what the container asks of each network it is
	// connected to, by network name: aliases, --ip, --mac-address. Empty
	// (not nil) once disconnected from every network.
	NetworkConfig map[string]*network.EndpointSettings
	Mounts        []volume.Mount
}

// Endpoint is the container's place on one network.
type Endpoint struct {
	NetNSPath   string
	IPAddress   string
	PrefixLen   int
	Gateway     string
	MacAddress  string
	NetworkID   string
	EndpointID  string
	NetworkName string `json:",omitempty"`
	Bridge      string `json:",omitempty"` // the kernel bridge
}

// State is the run state. Status is one of Docker's container states.
type State struct {
	Status     container.ContainerState
	Pid        int
	ExitCode   int
	Error      string
	OOMKilled  bool
	StartedAt  time.Time
	FinishedAt time.Time
	// Health is the healthcheck's state; nil when the container has none.
	Health *container.Health `json:",omitempty"`
	// RemovalInProgress is set while the container is being removed.
	RemovalInProgress bool
	// Starting is set while a start is in progress (not persisted: a
	// start does not survive the daemon).
	Starting bool `json:"-"`
}

// Lock and Unlock guard the container's fields.
func (c *Container) Lock()   { c.mu.Lock() }
func (c *Container) Unlock() { c.mu.Unlock() }

// IsRunning reports whether the container has a live process (running or paused).
func (s *State) IsRunning() bool {
	return s.Status == container.StateRunning || s.Status == container.StatePaused
}

// IsRestarting reports whether the container waits for a restart by its
// policy. Docker counts it as running (stop, rm and wait treat it so),
// though no process runs.
func (s *State) IsRestarting() bool { return s.Status == container.StateRestarting }

// CanStart checks the start transition: created or exited containers start;
// a running one is not modified (304); one being removed is a conflict.
func (s *State) CanStart() error {
	switch {
	case s.RemovalInProgress:
		return errdefs.ErrConflict.WithMessage("container is marked for removal and cannot be started")
	case s.Starting:
		return errdefs.ErrConflict.WithMessage("container is already being started")
	case s.Status == container.StatePaused:
		return errdefs.ErrConflict.WithMessage("cannot start a paused container, try unpause instead")
	case s.IsRunning(), s.IsRestarting():
		return errdefs.ErrNotModified
	}
	return nil
}

// SetRunning records a started process.
func (s *State) SetRunning(pid int, at time.Time) {
	s.Status, s.Pid, s.ExitCode, s.Error, s.OOMKilled = container.StateRunning, pid, 0, "", false
	s.StartedAt, s.FinishedAt = at, time.Time{}
}

// SetExited records the end of the process.
func (s *State) SetExited(code int, at time.Time, oomKilled bool) {
	s.Status, s.Pid, s.ExitCode, s.OOMKilled = container.StateExited, 0, code, oomKilled
	s.FinishedAt = at
}

// SetRestarting records an exit after which the restart policy will
// start the container again.
func (s *State) SetRestarting(code int, at time.Time, oomKilled bool) {
	s.SetExited(code, at, oomKilled)
	s.Status = container.StateRestarting
}

// SetStartFailed records a start that failed before the process ran, as
// Docker does: the container keeps its state (created or exited) with the
// error and exit code.
func (s *State) SetStartFailed(err error, code int) {
	s.Error, s.ExitCode = err.Error(), code
	if s.Status != container.StateCreated {
		s.Status = container.StateExited
	}
}

// APIState is the State of inspect.
func (s *State) APIState() *container.State {
	return &container.State{
		Status:     s.Status,
		Running:    s.IsRunning() || s.IsRestarting(),
		Paused:     s.Status == container.StatePaused,
		Restarting: s.Status == container.StateRestarting,
		OOMKilled:  s.OOMKilled,
		Dead:       s.Status == container.StateDead,
		Pid:        s.Pid,
		ExitCode:   s.ExitCode,
		Error:      s.Error,
		StartedAt:  apiTime(s.StartedAt),
		FinishedAt: apiTime(s.FinishedAt),
		Health:     s.apiHealth(),
	}
}

func (s *State) apiHealth() *container.Health {
	if s.Health == nil {
		return nil
	}
	h := *s.Health
	h.Log = append([]*container.HealthcheckResult{}, h.Log...)
	return &h
}

// HealthStatus is the health the ps filter matches: "none" without a
// healthcheck.
func (s *State) HealthStatus() container.HealthStatus {
	if s.Health == nil {
		return container.NoHealthcheck
	}
	return s.Health.Status
}

// zeroTime is how Docker shows a time that never happened.
const zeroTime = "0001-01-01T00:00:00Z"

func apiTime(t time.Time) string {
	if t.IsZero() {
		return zeroTime
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// StatusString is the STATUS column of `docker ps`: "Up 3 seconds",
// "Up 5 seconds (healthy)", "Restarting (1) 2 seconds ago",
// "Up 2 minutes (Paused)", "Exited (0) 5 seconds ago", "Created".
func (s *State) StatusString(now time.Time) string {
	switch s.Status {
	case container.StateRunning:
		up := "Up " + units.HumanDuration(now.Sub(s.StartedAt))
		switch {
		case s.Health == nil:
			return up
		case s.Health.Status == container.Starting:
			return up + " (health: starting)"
		}
		return up + " (" + string(s.Health.Status) + ")"
	case container.StatePaused:
		return "Up " + units.HumanDuration(now.Sub(s.StartedAt)) + " (Paused)"
	case container.StateRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", s.ExitCode, units.HumanDuration(now.Sub(s.FinishedAt)))
	case container.StateExited:
		if s.FinishedAt.IsZero() {
			return "Created"
		}
		return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, units.HumanDuration(now.Sub(s.FinishedAt)))
	case container.StateRemoving:
		return "Removal In Progress"
	case container.StateDead:
		return "Dead"
	}
	return "Created"
}
