package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// startSearchRegistry serves a v1 search API (GET /v1/search?q=&n=) over
// plain HTTP on 127.0.0.1, with three repositories.
func startSearchRegistry(t *testing.T) string {
	t.Helper()
	all := []map[string]any{
		{"name": "busybox", "description": "Busybox base image.", "star_count": 120, "is_official": true},
		{"name": "tools/busybox-extra", "description": "A busybox with many more tools built in, and a long description", "star_count": 7},
		{"name": "me/busybox-test", "description": "test\nimage", "star_count": 0},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/search" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query().Get("q")
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		results := []map[string]any{}
		for _, res := range all {
			if strings.Contains(res["name"].(string), q) && len(results) < n {
				results = append(results, res)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"query": q, "num_results": len(results), "results": results})
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestImageSearch: search asks the registry named by the term for its v1
// search, filters and limits as Docker does, and answers as dockerd does
// for a registry without search.
func TestImageSearch(t *testing.T) {
	reg := startRegistry(t, false)
	search := startSearchRegistry(t)
	d := startDaemon(t)

	// CNCF distribution has no v1 search: dockerd says "Unexpected status code 404".
	r := d.docker("search", reg.Host+"/busybox")
	if r.Code != 1 || !strings.Contains(r.Stderr, "Unexpected status code 404") {
		t.Errorf("search of a registry without search: %s", r)
	}
	if status, body := d.api(t, "GET", "/v1.47/images/search?term="+reg.Host+"/busybox"); status != 500 || !strings.Contains(body, "Unexpected status code 404") {
		t.Errorf("the same through the API: %d %s", status, body)
	}

	out := must(t, d.docker("search", search+"/busybox"))
	want := []string{
		"NAME                  DESCRIPTION                                     STARS     OFFICIAL",
		"busybox               Busybox base image.                             120       [OK]",
		"tools/busybox-extra   A busybox with many more tools built in, and…   7         ",
		"me/busybox-test       test image                                      0         ",
	}
	if out != strings.Join(want, "\n")+"\n" {
		t.Errorf("search table:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
	if berth := must(t, d.berth("search", search+"/busybox")); berth != out {
		t.Errorf("berth search differs from docker's:\n%s\ndocker:\n%s", berth, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--filter", "is-official=true"}, "busybox"},
		{[]string{"--filter", "stars=5"}, "busybox tools/busybox-extra"},
		{[]string{"--limit", "1"}, "busybox"},
		{[]string{"--filter", "is-official=false", "--filter", "stars=1"}, "tools/busybox-extra"},
	} {
		args := append([]string{"search", "--format", "{{.Name}}"}, tc.args...)
		out := must(t, d.docker(append(args, search+"/busybox")...))
		if got := strings.Join(lines(out), " "); got != tc.want {
			t.Errorf("search %v: %q, want %q", tc.args, got, tc.want)
		}
	}
	if out := must(t, d.docker("search", "--no-trunc", "--format", "{{.Description}}", search+"/extra")); strings.TrimSpace(out) != "A busybox with many more tools built in, and a long description" {
		t.Errorf("--no-trunc: %q", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--limit", "101"}, "limit 101 is outside the range of [1, 100]"},
		{[]string{"--filter", "bogus=1"}, "invalid filter 'bogus'"},
		{[]string{"--filter", "stars=many"}, "invalid filter 'stars=many'"},
		{[]string{"--filter", "is-official=maybe"}, "invalid filter 'is-official=maybe'"},
	} {
		r := d.docker(append(append([]string{"search"}, tc.args...), search+"/busybox")...)
		if r.Code != 1 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("search %v: want %q, got %s", tc.args, tc.want, r)
		}
	}
	if status, _ := d.api(t, "GET", "/v1.47/images/search?term="+search+"/busybox&limit=0"); status != 200 {
		t.Errorf("limit=0 (the default): %d", status)
	}
}
