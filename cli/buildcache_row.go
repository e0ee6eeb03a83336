package cli

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/build"
)

// buildCacheHeaders are the column titles of build cache tables.
var buildCacheHeaders = map[string]string{
	"ID":            "CACHE ID",
	"Parent":        "PARENT",
	"CacheType":     "CACHE TYPE",
	"Size":          "SIZE",
	"CreatedSince":  "CREATED",
	"LastUsedSince": "LAST USED",
	"UsageCount":    "USAGE",
	"InUse":         "IN USE",
	"Shared":        "SHARED",
	"Description":   "DESCRIPTION",
}

// buildCacheRow is one build cache record of a list.
type buildCacheRow struct {
	v     build.CacheRecord
	trunc bool
	now   time.Time
}

// sortBuildCache orders records as docker lists them: never used first,
// then by last use, oldest first.
func sortBuildCache(records []build.CacheRecord) {
	sort.SliceStable(records, func(i, j int) bool {
		a, b := records[i].LastUsedAt, records[j].LastUsedAt
		switch {
		case a == nil && b == nil, a != nil && b != nil && a.Equal(*b):
			return records[i].ID < records[j].ID
		case a == nil:
			return true
		case b == nil:
			return false
		}
		return a.Before(*b)
	})
}

func (r *buildCacheRow) MarshalJSON() ([]byte, error) { return marshalMethods(r) }

// ID is the record's ID, marked with "*" while in use.
func (r *buildCacheRow) ID() string {
	id := r.v.ID
	if r.trunc {
		id = shortID(id)
	}
	if r.v.InUse {
		id += "*"
	}
	return id
}

func (r *buildCacheRow) Parent() string {
	parent := strings.Join(r.v.Parents, ", ")
	if r.trunc {
		return shortID(parent)
	}
	return parent
}

func (r *buildCacheRow) CacheType() string   { return r.v.Type }
func (r *buildCacheRow) Description() string { return r.v.Description }
func (r *buildCacheRow) Size() string        { return humanSize(r.v.Size) }
func (r *buildCacheRow) CreatedAt() string   { return r.v.CreatedAt.String() }

func (r *buildCacheRow) CreatedSince() string { return humanAge(r.v.CreatedAt, nowOr(r.now)) }

func (r *buildCacheRow) LastUsedAt() string {
	if r.v.LastUsedAt == nil {
		return ""
	}
	return r.v.LastUsedAt.String()
}

func (r *buildCacheRow) LastUsedSince() string {
	if r.v.LastUsedAt == nil {
		return ""
	}
	return humanAge(*r.v.LastUsedAt, nowOr(r.now))
}

func (r *buildCacheRow) UsageCount() string { return strconv.Itoa(r.v.UsageCount) }
func (r *buildCacheRow) InUse() string      { return strconv.FormatBool(r.v.InUse) }
func (r *buildCacheRow) Shared() string     { return strconv.FormatBool(r.v.Shared) }
