package image

import (
	"context"
	"log/slog"
	"sync"

	"github.com/berth/berth/api"
	"github.com/berth/berth/registry"
	"github.com/distribution/reference"
	eventtypes "github.com/moby/moby/api/types/events"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// DistributionOptions are the daemon's transfer settings.
type DistributionOptions struct {
	// MaxDownloads and MaxUploads are how many layers one pull downloads,
	// and one push uploads, at a time (dockerd's max-concurrent-downloads
	// and max-concurrent-uploads); 0 is Docker's default, 3 and 5.
	MaxDownloads, MaxUploads int
	// MaxDownloadAttempts is how many times a blob download is tried,
	// resuming where it broke (dockerd's max-download-attempts); 0 is 5.
	MaxDownloadAttempts int
}

// Distribution pulls the images of a Service from registries and pushes
// them there, through a registry.Client. It is safe for concurrent use.
type Distribution struct {
	s    *Service
	rc   *registry.Client
	opts DistributionOptions
	log  *slog.Logger
}

// NewDistribution returns the distribution service of s.
func NewDistribution(s *Service, rc *registry.Client, opts DistributionOptions, log *slog.Logger) *Distribution {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxDownloads <= 0 {
		opts.MaxDownloads = 3
	}
	if opts.MaxUploads <= 0 {
		opts.MaxUploads = 5
	}
	if opts.MaxDownloadAttempts <= 0 {
		opts.MaxDownloadAttempts = 5
	}
	return &Distribution{s: s, rc: rc, opts: opts, log: log}
}

// Login checks credentials against a registry, as POST /auth; it returns
// the identity token the registry gave, if any.
func (d *Distribution) Login(ctx context.Context, ac registrytypes.AuthConfig) (string, error) {
	return d.rc.Login(ctx, ac)
}

// publishRef sends the pull or push event of ref, as Docker does: the
// reference is both the actor's ID and its name, with the labels of the
// image it names.
func (d *Distribution) publishRef(action eventtypes.Action, ref reference.Named) {
	if d.s.bus == nil {
		return
	}
	name := reference.FamiliarString(ref)
	attrs := map[string]string{}
	st := d.s.snapshot()
	if id, err := st.resolve(name); err == nil {
		for k, v := range st.records[id].labels() {
			attrs[k] = v
		}
	}
	attrs["name"] = name
	d.s.bus.Publish(eventtypes.ImageEventType, action, name, attrs)
}

// syncProgress serialises the messages of concurrent layer transfers.
type syncProgress struct {
	mu  sync.Mutex
	out api.Progress
}

func (p *syncProgress) Send(m api.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out.Send(m)
}

// Inspect asks the registry what name refers to, as
// GET /distribution/{name}/json, with the caller's credentials.
func (d *Distribution) Inspect(ctx context.Context, name string, ac registrytypes.AuthConfig) (registrytypes.DistributionInspect, error) {
	ref, err := registry.ParseReference(name, "")
	if err != nil {
		return registrytypes.DistributionInspect{}, err
	}
	ref = reference.TagNameOnly(ref) // a bare name is :latest here
	repo, err := d.rc.Open(ctx, ref, ac, false)
	if err != nil {
		return registrytypes.DistributionInspect{}, err
	}
	return repo.Inspect(ctx, ref)
}
