package builder

import (
	"github.com/berth/berth/api"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// Options are the parameters of POST /build.
type Options struct {
	Tags       []string           // t: names for the result
	Dockerfile string             // path of the Dockerfile in the context
	BuildArgs  map[string]*string // buildargs
	Labels     map[string]string  // labels added to the result
	Target     string             // stage to build, else the last
	NoCache    bool
	CacheFrom  []string // cachefrom: images whose steps the cache may reuse
	Pull       bool     // pull base images even when present
	Remove     bool     // rm: remove intermediate containers (default true)
	ForceRm    bool
	Quiet      bool // q: only the image ID on the stream
	Platform   string
	BuildID    string // buildid: names the build for /build/cancel

	// Settings of the RUN containers.
	NetworkMode string
	ExtraHosts  []string
	ShmSize     int64
	Memory      int64
	MemorySwap  int64
	CPUShares   int64
	CPUQuota    int64
	CPUPeriod   int64
	CPUSetCPUs  string
	CPUSetMems  string

	// AuthConfigs are the registry credentials (X-Registry-Config) for pulls.
	AuthConfigs map[string]registrytypes.AuthConfig

	Out api.Progress
}
