package image

import (
	"context"
	"fmt"
	"strconv"

	"github.com/berth/berth/api/filters"
	"github.com/containerd/errdefs"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// defaultSearchLimit is how many results a search asks for when the
// client does not say (Docker's default).
const defaultSearchLimit = 25

// SearchOptions are the parameters of GET /images/search.
type SearchOptions struct {
	Term    string
	Limit   int // 0 is the default, 25
	Filters filters.Args
	Auth    registrytypes.AuthConfig
}

// Search asks the registry the term names (Docker Hub by default) for
// matching repositories, as GET /images/search, and keeps those passing
// the filters is-official, is-automated and stars (at least that many).
func (d *Distribution) Search(ctx context.Context, opts SearchOptions) ([]registrytypes.SearchResult, error) {
	if err := opts.Filters.Validate("is-official", "is-automated", "stars"); err != nil {
		return nil, err
	}
	official, byOfficial, err := opts.Filters.Bool("is-official")
	if err != nil {
		return nil, err
	}
	automated, byAutomated, err := opts.Filters.Bool("is-automated")
	if err != nil {
		return nil, err
	}
	minStars := 0
	for _, v := range opts.Filters.Values("stars") {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter 'stars=%s'", v))
		}
		minStars = max(minStars, n)
	}
	limit := opts.Limit
	if limit == 0 {
		limit = defaultSearchLimit
	}
	if limit < 1 || limit > 100 {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("limit %d is outside the range of [1, 100]", limit))
	}
	res, err := d.rc.Search(ctx, opts.Term, limit, opts.Auth)
	if err != nil {
		return nil, err
	}
	out := []registrytypes.SearchResult{}
	for _, r := range res.Results {
		//lint:ignore SA1019 registries still send is_automated, and Docker still filters on it
		if (byOfficial && r.IsOfficial != official) || (byAutomated && r.IsAutomated != automated) || r.StarCount < minStars {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}
