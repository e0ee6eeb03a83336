// Package api holds the Docker Engine API facts Berth serves that Docker's own
// api module does not carry: the version range, and the few wire types whose
// shape depends on the negotiated version.
package api

import (
	"strconv"
	"strings"
)

const (
	// MinVersion is the oldest API version served (what docker CLI 28 can fall back to).
	MinVersion = "1.24"
	// MaxVersion is the newest API version whose semantics Berth implements.
	MaxVersion = "1.47"
	// DefaultVersion answers unversioned paths.
	DefaultVersion = MaxVersion
)

// VersionLess reports whether API version a is older than b ("1.9" < "1.10").
func VersionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}
