package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// Search asks a registry's v1 search API (GET /v1/search?q=&n=) for
// repositories matching term, as Docker does: a term starting with a
// registry host ("myreg:5000/app") searches that registry, anything else
// Docker Hub's index. Registries that have no v1 search (CNCF
// distribution) answer 404, which is Docker's "Unexpected status code
// 404". Insecure registries are tried over HTTPS, then plain HTTP.
func (c *Client) Search(ctx context.Context, term string, limit int, ac registrytypes.AuthConfig) (registrytypes.SearchResults, error) {
	host, query := splitSearchTerm(term)
	if strings.Contains(host, "://") {
		return registrytypes.SearchResults{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid repository name: %s", term))
	}
	insecure := host != dockerHubIndex && c.isInsecure(ctx, host)
	schemes := []string{"https"}
	if insecure {
		schemes = append(schemes, "http")
	}
	inner, err := c.hostTransport(host, insecure)
	if err != nil {
		return registrytypes.SearchResults{}, err
	}
	client := &http.Client{Transport: inner}
	var lastErr error
	for _, scheme := range schemes {
		u := fmt.Sprintf("%s://%s/v1/search?q=%s&n=%s", scheme, host, url.QueryEscape(query), strconv.Itoa(limit))
		res, err := searchAt(ctx, client, u, ac)
		var status statusError
		if err == nil || errors.As(err, &status) || ctx.Err() != nil {
			return res, err
		}
		lastErr = err
	}
	return registrytypes.SearchResults{}, lastErr
}

// statusError is an HTTP answer other than 200 from a search.
type statusError int

func (e statusError) Error() string { return fmt.Sprintf("Unexpected status code %d", int(e)) }

func searchAt(ctx context.Context, client *http.Client, u string, ac registrytypes.AuthConfig) (registrytypes.SearchResults, error) {
	var res registrytypes.SearchResults
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return res, err
	}
	if user, password := credentials(ac); user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return res, statusError(resp.StatusCode)
	}
	body, err := readAtMost(resp.Body, maxManifestSize)
	if err != nil {
		return res, err
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return res, fmt.Errorf("error decoding search results: %w", err)
	}
	return res, nil
}

// splitSearchTerm reads a search term as Docker does: its first component
// is a registry when it looks like a host (has a "." or ":", or is
// "localhost"); else it is Docker Hub, where "library/" is implied.
func splitSearchTerm(term string) (host, query string) {
	first, rest, ok := strings.Cut(term, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		host, query = first, rest
	} else {
		host, query = dockerHubIndex, term
	}
	if host == dockerHubDomain || host == dockerHubIndex {
		host = dockerHubIndex
		query = strings.TrimPrefix(query, "library/")
	}
	return host, query
}
