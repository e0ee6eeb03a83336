package server

import (
	"context"
	"net/http"
	"regexp"
	"strings"
)

// handlerFunc serves one API operation. vars holds the path variables.
// Returning an error before writing anything sends Docker's error response.
type handlerFunc func(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error

// route is one entry of a resource's route table.
type route struct {
	method  string
	path    string // "/images/{name:.*}/json": {v} matches one segment, {v:.*} is greedy
	handler handlerFunc
}

// compiledRoute is a route with its path pattern as a regexp.
type compiledRoute struct {
	route
	re *regexp.Regexp
}

var pathVar = regexp.MustCompile(`\{(\w+)(:[^}]*)?\}`)

func compile(r route) compiledRoute {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range pathVar.FindAllStringSubmatchIndex(r.path, -1) {
		b.WriteString(regexp.QuoteMeta(r.path[last:m[0]]))
		name := r.path[m[2]:m[3]]
		expr := "[^/]+"
		if m[4] >= 0 {
			expr = r.path[m[4]+1 : m[5]]
		}
		b.WriteString("(?P<" + name + ">" + expr + ")")
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(r.path[last:]) + "$")
	return compiledRoute{route: r, re: regexp.MustCompile(b.String())}
}

// match finds the route for method and path (without version prefix).
// HEAD falls back to GET routes, as net/http does.
func match(routes []compiledRoute, method, path string) (handlerFunc, map[string]string, bool) {
	for _, try := range []string{method, fallbackMethod(method)} {
		if try == "" {
			continue
		}
		for _, rt := range routes {
			if rt.method != try {
				continue
			}
			m := rt.re.FindStringSubmatch(path)
			if m == nil {
				continue
			}
			vars := map[string]string{}
			for i, name := range rt.re.SubexpNames() {
				if name != "" {
					vars[name] = m[i]
				}
			}
			return rt.handler, vars, true
		}
	}
	return nil, nil, false
}

func fallbackMethod(method string) string {
	if method == http.MethodHead {
		return http.MethodGet
	}
	return ""
}
