package server

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The shim reads and writes its few small JSON messages with this codec
// rather than encoding/json, whose reflection (and the fmt it links) adds
// about 350 KB to the RSS of every shim. Reading splits an object into the
// raw text of its fields; typed getters decode those.

var errJSON = errors.New("malformed JSON")

// jsonField is one field of an object, its value as raw JSON text.
type jsonField struct {
	key string
	raw []byte
}

// jsonObject is an object's fields by key.
type jsonObject map[string][]byte

// parseObject parses b, a JSON object.
func parseObject(b []byte) (jsonObject, error) {
	fields, err := parseFields(b)
	obj := make(jsonObject, len(fields))
	for _, f := range fields {
		obj[f.key] = f.raw
	}
	return obj, err
}

// parseFields parses b, a JSON object, into its fields in order.
func parseFields(b []byte) ([]jsonField, error) {
	p := &jsonParser{b: b}
	p.space()
	if p.peek() != '{' {
		return nil, errJSON
	}
	var fields []jsonField
	err := p.object(func(key string, raw []byte) { fields = append(fields, jsonField{key, raw}) })
	if p.space(); err == nil && p.i != len(p.b) {
		err = errJSON
	}
	return fields, err
}

type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *jsonParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// value skips one value and returns its text.
func (p *jsonParser) value() ([]byte, error) {
	p.space()
	start := p.i
	var err error
	switch c := p.peek(); {
	case c == '{':
		err = p.object(nil)
	case c == '[':
		err = p.array(nil)
	case c == '"':
		_, err = p.string()
	case c == 't', c == 'f', c == 'n':
		err = p.literal()
	case c == '-' || c >= '0' && c <= '9':
		err = p.number()
	default:
		err = errJSON
	}
	return p.b[start:p.i], err
}

// object parses {"key": value, ...}, calling field (if not nil) for each.
func (p *jsonParser) object(field func(key string, raw []byte)) error {
	p.i++ // {
	for first := true; ; first = false {
		p.space()
		if p.peek() == '}' && first {
			p.i++
			return nil
		}
		key, err := p.string()
		if err != nil {
			return err
		}
		if p.space(); p.peek() != ':' {
			return errJSON
		}
		p.i++
		raw, err := p.value()
		if err != nil {
			return err
		}
		if field != nil {
			field(key, raw)
		}
		p.space()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return errJSON
		}
	}
}

// array parses [value, ...], calling elem (if not nil) for each.
func (p *jsonParser) array(elem func(raw []byte)) error {
	p.i++ // [
	for first := true; ; first = false {
		p.space()
		if p.peek() == ']' && first {
			p.i++
			return nil
		}
		raw, err := p.value()
		if err != nil {
			return err
		}
		if elem != nil {
			elem(raw)
		}
		p.space()
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return errJSON
		}
	}
}

func (p *jsonParser) literal() error {
	for _, lit := range []string{"true", "false", "null"} {
		if len(p.b)-p.i >= len(lit) && string(p.b[p.i:p.i+len(lit)]) == lit {
			p.i += len(lit)
			return nil
		}
	}
	return errJSON
}

func (p *jsonParser) number() error {
	start := p.i
	for p.i < len(p.b) && isNumberByte(p.b[p.i]) {
		p.i++
	}
	_, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	return err
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// string decodes the string at p.i.
func (p *jsonParser) string() (string, error) {
	if p.peek() != '"' {
		return "", errJSON
	}
	p.i++
	var out []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), nil
		case c == '\\':
			n, err := p.escape(&out)
			if err != nil {
				return "", err
			}
			p.i += n
		case c < 0x20:
			return "", errJSON
		default:
			out = append(out, c)
			p.i++
		}
	}
	return "", errJSON
}

// escape decodes the escape sequence at p.i into out, returning its length.
func (p *jsonParser) escape(out *[]byte) (int, error) {
	b := p.b[p.i:]
	if len(b) < 2 {
		return 0, errJSON
	}
	if i := indexByte(`"\/bfnrt`, b[1]); i >= 0 {
		*out = append(*out, "\"\\/\b\f\n\r\t"[i])
		return 2, nil
	}
	if b[1] != 'u' || len(b) < 6 {
		return 0, errJSON
	}
	r, err := hex4(b[2:6])
	if err != nil {
		return 0, err
	}
	n := 6
	if utf16.IsSurrogate(r) {
		pair := rune(utf8.RuneError) // a lone surrogate
		if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
			if r2, err := hex4(b[8:12]); err == nil && utf16.DecodeRune(r, r2) != utf8.RuneError {
				pair, n = utf16.DecodeRune(r, r2), 12
			}
		}
		r = pair
	}
	*out = utf8.AppendRune(*out, r)
	return n, nil
}

func hex4(b []byte) (rune, error) {
	v, err := strconv.ParseUint(string(b), 16, 32)
	return rune(v), err
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// Typed getters. A missing field (nil) and null give the zero value.

func jsonString(raw []byte) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	p := &jsonParser{b: raw}
	return p.string()
}

func jsonBool(raw []byte) (bool, error) {
	switch string(raw) {
	case "true":
		return true, nil
	case "false", "null", "":
		return false, nil
	}
	return false, errJSON
}

func jsonInt(raw []byte) (int64, error) {
	if isNull(raw) {
		return 0, nil
	}
	return strconv.ParseInt(string(raw), 10, 64)
}

func jsonStrings(raw []byte) ([]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	p := &jsonParser{b: raw}
	if p.peek() != '[' {
		return nil, errJSON
	}
	var out []string
	var serr error
	err := p.array(func(elem []byte) {
		s, err := jsonString(elem)
		if err != nil {
			serr = err
		}
		out = append(out, s)
	})
	return out, errors.Join(err, serr)
}

func isNull(raw []byte) bool { return len(raw) == 0 || string(raw) == "null" }

// jsonWriter builds a JSON object.
type jsonWriter struct{ b []byte }

func newJSONWriter() *jsonWriter { return &jsonWriter{b: []byte{'{'}} }

func (w *jsonWriter) key(k string) *jsonWriter {
	if len(w.b) > 1 {
		w.b = append(w.b, ',')
	}
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
	return w
}

func (w *jsonWriter) str(k, v string) *jsonWriter {
	w.key(k).b = appendJSONString(w.b, v)
	return w
}

func (w *jsonWriter) int(k string, v int) *jsonWriter {
	w.key(k).b = strconv.AppendInt(w.b, int64(v), 10)
	return w
}

func (w *jsonWriter) bool(k string, v bool) *jsonWriter {
	w.key(k).b = strconv.AppendBool(w.b, v)
	return w
}

func (w *jsonWriter) time(k string, t time.Time) *jsonWriter {
	w.key(k).b = append(w.b, '"')
	w.b = append(t.AppendFormat(w.b, time.RFC3339Nano), '"')
	return w
}

func (w *jsonWriter) raw(k string, raw []byte) *jsonWriter {
	w.key(k).b = append(w.b, raw...)
	return w
}

// bytes ends the object.
func (w *jsonWriter) bytes() []byte { return append(w.b, '}') }

// appendJSONString appends s quoted; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}
