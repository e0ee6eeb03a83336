package logs

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

var errBadEntry = errors.New("malformed log entry")

// decodeEntry parses one JSON line into m, reusing m.Line's memory. Lines
// as logfile.JSON writes them take a fast path; anything else valid (Docker's
// "attrs", other field orders) goes through encoding/json.
func decodeEntry(m *Message, b []byte) error {
	if decodeFast(m, b) {
		return nil
	}
	var e struct {
		Log    string    `json:"log"`
		Stream string    `json:"stream"`
		Time   time.Time `json:"time"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return errBadEntry
	}
	m.Line = append(m.Line[:0], e.Log...)
	m.Stream = internStream(e.Stream)
	m.Time = e.Time
	return nil
}

func decodeFast(m *Message, b []byte) bool {
	b, ok := cutPrefix(b, `{"log":"`)
	if !ok {
		return false
	}
	if m.Line, b, ok = unquote(m.Line[:0], b); !ok {
		return false
	}
	if b, ok = cutPrefix(b, `,"stream":"`); !ok {
		return false
	}
	i := bytes.IndexByte(b, '"')
	if i < 0 {
		return false
	}
	m.Stream = internStream(string(b[:i]))
	if b, ok = cutPrefix(b[i:], `","time":"`); !ok {
		return false
	}
	i = bytes.IndexByte(b, '"')
	if i < 0 || string(b[i:]) != `"}` {
		return false
	}
	t, err := time.Parse(time.RFC3339Nano, string(b[:i]))
	m.Time = t
	return err == nil
}

func cutPrefix(b []byte, prefix string) ([]byte, bool) {
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return b, false
	}
	return b[len(prefix):], true
}

// internStream avoids an allocation per message for the usual names.
func internStream(s string) string {
	switch s {
	case Stdout:
		return Stdout
	case Stderr:
		return Stderr
	}
	return s
}

// unquote appends the JSON string starting at b (after its opening quote)
// to dst, and returns what follows its closing quote.
func unquote(dst, b []byte) (out, rest []byte, ok bool) {
	q, i := -1, 0
	for {
		if q < i {
			if q = bytes.IndexByte(b[i:], '"'); q < 0 {
				return dst, nil, false
			}
			q += i
		}
		e := bytes.IndexByte(b[i:q], '\\')
		if e < 0 {
			return append(dst, b[i:q]...), b[q+1:], true
		}
		e += i
		dst = append(dst, b[i:e]...)
		var n int
		if dst, n = unescape(dst, b[e:]); n == 0 {
			return dst, nil, false
		}
		i = e + n
	}
}

// unescape decodes the escape sequence at the start of b, returning the
// bytes it used (0 if it is malformed).
func unescape(dst, b []byte) ([]byte, int) {
	if len(b) < 2 {
		return dst, 0
	}
	switch c := b[1]; c {
	case '"', '\\', '/':
		return append(dst, c), 2
	case 'n':
		return append(dst, '\n'), 2
	case 'r':
		return append(dst, '\r'), 2
	case 't':
		return append(dst, '\t'), 2
	case 'b':
		return append(dst, '\b'), 2
	case 'f':
		return append(dst, '\f'), 2
	case 'u':
		r, ok := hex4(b[2:])
		if !ok {
			return dst, 0
		}
		if utf16.IsSurrogate(r) {
			if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
				if r2, ok := hex4(b[8:]); ok {
					if c := utf16.DecodeRune(r, r2); c != utf8.RuneError {
						return utf8.AppendRune(dst, c), 12
					}
				}
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(dst, r), 6
	}
	return dst, 0
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
