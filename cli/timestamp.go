package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Layouts of --since and --until values without a time zone, read in the
// local zone.
const (
	rfc3339Local     = "2006-01-02T15:04:05"
	rfc3339NanoLocal = "2006-01-02T15:04:05.999999999"
	dateWithZone     = "2006-01-02Z07:00"
	dateLocal        = "2006-01-02"
)

// parseTimestamp converts a --since/--until value to the Unix timestamp
// ("seconds[.nanoseconds]") that the API takes, the way the docker CLI
// does: a Go duration ("10m") counts back from now, then RFC 3339 dates and
// times with or without zone and fraction, then a Unix timestamp, which is
// passed through.
func parseTimestamp(value string, now time.Time) (string, error) {
	if d, err := time.ParseDuration(value); value != "0" && err == nil {
		return strconv.FormatInt(now.Add(-d).Unix(), 10), nil
	}
	inLocal := !strings.ContainsAny(value, "zZ+") && strings.Count(value, "-") != 3
	layout := timestampLayout(value, inLocal)
	var (
		t   time.Time
		err error
	)
	if inLocal {
		t, err = time.ParseInLocation(layout, value, time.FixedZone(now.Zone()))
	} else {
		t, err = time.Parse(layout, value)
	}
	if err != nil {
		if strings.Contains(value, "-") {
			return "", err
		}
		if !isUnixTimestamp(value) {
			return "", fmt.Errorf("failed to parse value as time or duration: %q", value)
		}
		return value, nil
	}
	return fmt.Sprintf("%d.%09d", t.Unix(), int64(t.Nanosecond())), nil
}

func timestampLayout(value string, inLocal bool) string {
	switch {
	case strings.Contains(value, "."):
		if inLocal {
			return rfc3339NanoLocal
		}
		return time.RFC3339Nano
	case strings.Contains(value, "T"):
		colons := strings.Count(value, ":")
		// a numeric zone offset has a colon of its own
		if !inLocal && !strings.ContainsAny(value, "zZ") && colons > 0 {
			colons--
		}
		layouts := []string{"2006-01-02T15Z07:00", "2006-01-02T15:04Z07:00", time.RFC3339}
		if inLocal {
			layouts = []string{"2006-01-02T15", "2006-01-02T15:04", rfc3339Local}
		}
		return layouts[min(colons, 2)]
	case inLocal:
		return dateLocal
	}
	return dateWithZone
}

// isUnixTimestamp reports whether s is "seconds" or "seconds.fraction".
func isUnixTimestamp(s string) bool {
	sec, frac, hasFrac := strings.Cut(s, ".")
	if _, err := strconv.ParseInt(sec, 10, 64); err != nil {
		return false
	}
	if hasFrac {
		if _, err := strconv.ParseInt(frac, 10, 64); err != nil {
			return false
		}
	}
	return true
}
