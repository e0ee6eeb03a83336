package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berth/berth/api"
	"github.com/containerd/errdefs"
)

func newTestServer() *Server {
	return New(Backends{}, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func do(t *testing.T, s http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestPing(t *testing.T) {
	s := newTestServer()
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		for _, path := range []string{"/_ping", "/v1.41/_ping"} {
			rec := do(t, s, method, path)
			if rec.Code != 200 {
				t.Fatalf("%s %s: %d", method, path, rec.Code)
			}
			h := rec.Header()
			if h.Get("Api-Version") != api.MaxVersion || h.Get("Ostype") != "linux" || !strings.HasPrefix(h.Get("Server"), "Berth/") ||
				h.Get("Builder-Version") != "1" || h.Get("Swarm") != "inactive" || h.Get("Pragma") != "no-cache" ||
				h.Get("Cache-Control") != "no-cache, no-store, must-revalidate" {
				t.Errorf("%s %s: headers %v", method, path, h)
			}
			wantBody := "OK"
			if method == http.MethodHead {
				wantBody = ""
			}
			if rec.Body.String() != wantBody {
				t.Errorf("%s %s: body %q", method, path, rec.Body.String())
			}
		}
	}
}

func TestVersionNegotiation(t *testing.T) {
	s := newTestServer()
	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"/v1.99/_ping", 400, `{"message":"client version 1.99 is too new. Maximum supported API version is ` + api.MaxVersion + `"}`},
		{"/v1.11/_ping", 400, `{"message":"client version 1.11 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"}`},
		{"/v1.24/_ping", 200, "OK"},
		{"/v1.41/nope", 404, `{"message":"page not found"}`},
		{"/nope", 404, `{"message":"page not found"}`},
	}
	for _, c := range cases {
		rec := do(t, s, http.MethodGet, c.path)
		if rec.Code != c.status || strings.TrimSpace(rec.Body.String()) != c.body {
			t.Errorf("GET %s = %d %s, want %d %s", c.path, rec.Code, rec.Body.String(), c.status, c.body)
		}
	}
}

func TestRouteMatchingIsGreedyForImageNames(t *testing.T) {
	var got map[string]string
	h := func(_ context.Context, _ http.ResponseWriter, _ *http.Request, vars map[string]string) error {
		got = vars
		return nil
	}
	routes := []compiledRoute{
		compile(route{http.MethodGet, "/images/json", h}),
		compile(route{http.MethodGet, "/images/{name:.*}/json", h}),
		compile(route{http.MethodDelete, "/images/{name:.*}", h}),
		compile(route{http.MethodGet, "/containers/{id}/json", h}),
	}
	cases := []struct {
		method, path, name string
		ok                 bool
	}{
		{"GET", "/images/127.0.0.1:5000/a/b:1/json", "127.0.0.1:5000/a/b:1", true},
		{"GET", "/images/busybox/json", "busybox", true},
		{"DELETE", "/images/r/x@sha256:abc", "r/x@sha256:abc", true},
		{"GET", "/containers/a/b/json", "", false},
		{"POST", "/images/json", "", false},
	}
	for _, c := range cases {
		got = nil
		fn, vars, ok := match(routes, c.method, c.path)
		if ok != c.ok {
			t.Errorf("%s %s: matched %v", c.method, c.path, ok)
			continue
		}
		if !ok {
			continue
		}
		_ = fn(context.Background(), nil, nil, vars)
		if v := got["name"]; c.name != "" && v != c.name {
			t.Errorf("%s %s: name %q, want %q", c.method, c.path, v, c.name)
		}
	}
}

func TestStatusOf(t *testing.T) {
	cases := []struct {
		err    error
		status int
	}{
		{errdefs.ErrNotFound.WithMessage("No such image: x"), 404},
		{fmt.Errorf("wrapped: %w", errdefs.ErrInvalidArgument), 400},
		{errdefs.ErrConflict, 409},
		{errdefs.ErrAlreadyExists, 409},
		{errdefs.ErrUnauthenticated, 401},
		{errdefs.ErrPermissionDenied, 403},
		{errdefs.ErrNotModified, 304},
		{errdefs.ErrNotImplemented, 501},
		{errdefs.ErrUnavailable, 503},
		{errors.New("boom"), 500},
	}
	for _, c := range cases {
		if got := statusOf(c.err); got != c.status {
			t.Errorf("statusOf(%v) = %d, want %d", c.err, got, c.status)
		}
	}
	rec := httptest.NewRecorder()
	writeError(rec, errdefs.ErrNotFound.WithMessage("No such image: x"))
	if rec.Code != 404 || strings.TrimSpace(rec.Body.String()) != `{"message":"No such image: x"}` || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("writeError: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
}

func TestBoolValue(t *testing.T) {
	for in, want := range map[string]bool{"1": true, "true": true, "True": true, "0": false, "false": false, "": false, "no": false, "none": false} {
		r := httptest.NewRequest("GET", "/x?all="+in, nil)
		_ = r.ParseForm()
		if got := boolValue(r, "all"); got != want {
			t.Errorf("boolValue(%q) = %v", in, got)
		}
	}
}
