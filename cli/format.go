package cli

// Output formatting shared by the commands: docker's --format Go templates
// (with its template functions), aligned tables, and human-readable sizes,
// ages and IDs.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"
	"unicode"

	units "github.com/docker/go-units"
)

const (
	tableFormatKey = "table"
	jsonFormatKey  = "json"
	jsonTemplate   = "{{json .}}"
	quietTemplate  = "{{.ID}}"
)

// Help texts of the --format flag, as docker's.
const (
	formatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`
	inspectFormatHelp = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`
)

// templateFuncs are the functions docker offers in every --format template.
var templateFuncs = template.FuncMap{
	"json": func(v any) string {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		return strings.TrimSpace(buf.String())
	},
	"split": strings.Split,
	"join":  strings.Join,
	"title": titleCase,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"pad": func(s string, prefix, suffix int) string {
		if s == "" {
			return s
		}
		return strings.Repeat(" ", prefix) + s + strings.Repeat(" ", suffix)
	},
	"truncate": func(s string, n int) string {
		if len(s) < n {
			return s
		}
		return s[:n]
	},
}

// headerFuncs replace templateFuncs when a table's header row is rendered,
// so that the column names come out as they are.
var headerFuncs = template.FuncMap{
	"json":     func(v string) string { return v },
	"split":    func(v string, _ string) string { return v },
	"join":     func(v string, _ string) string { return v },
	"title":    func(v string) string { return v },
	"lower":    func(v string) string { return v },
	"upper":    func(v string) string { return v },
	"truncate": func(v string, _ int) string { return v },
}

// titleCase upper-cases the first letter of each word, like the deprecated
// strings.Title that docker uses.
func titleCase(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		sep := isWordSeparator(prev)
		prev = r
		if sep {
			return unicode.ToTitle(r)
		}
		return r
	}, s)
}

func isWordSeparator(r rune) bool {
	if r <= unicode.MaxASCII {
		alnum := '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_'
		return !alnum
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return false
	}
	return unicode.IsSpace(r)
}

// parseTemplate parses a --format template with docker's functions.
func parseTemplate(format string) (*template.Template, error) {
	return template.New("").Funcs(templateFuncs).Parse(format)
}

// listFormat is the resolved --format of a list command: "table ...",
// "json" or a plain template.
type listFormat string

func (f listFormat) isTable() bool { return strings.HasPrefix(string(f), tableFormatKey) }

// template returns the Go template that renders one row.
func (f listFormat) template() string {
	s := string(f)
	switch {
	case f.isTable():
		s = s[len(tableFormatKey):]
	case s == jsonFormatKey:
		s = jsonTemplate
	}
	s = strings.Trim(s, " ")
	return strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(s)
}

// writeList renders rows (one line each) with format. A table gets a header
// row, rendered by the same template from headers (field name -> column
// title), and is aligned like docker's tables: tabwriter with a minimum
// cell width of 10 and padding of 3.
func writeList(w io.Writer, format listFormat, headers map[string]string, rows []any) error {
	tmpl, err := parseTemplate(format.template())
	if err != nil {
		return fmt.Errorf("template parsing error: %w", err)
	}
	var body bytes.Buffer
	for _, row := range rows {
		if err := tmpl.Execute(&body, row); err != nil {
			return fmt.Errorf("template parsing error: %w", err)
		}
		body.WriteByte('\n')
	}
	if !format.isTable() {
		_, err := body.WriteTo(w)
		return err
	}
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	var header bytes.Buffer
	_ = tmpl.Funcs(headerFuncs).Execute(&header, headers)
	header.WriteByte('\n')
	_, _ = header.WriteTo(tw)
	_, _ = body.WriteTo(tw)
	return tw.Flush()
}

// marshalMethods encodes a row as a JSON object of its exported methods
// that take no argument and return one value: the fields a template sees.
// Rows implement json.Marshaler with it, so that {{json .}} shows them as
// docker does.
func marshalMethods(row any) ([]byte, error) {
	v := reflect.ValueOf(row)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, errors.New("expected a pointer to a struct")
	}
	t := v.Type()
	m := make(map[string]any, t.NumMethod())
	for i := range t.NumMethod() {
		method := t.Method(i)
		fn := v.Method(i)
		if !method.IsExported() || fn.Type().NumIn() != 0 || fn.Type().NumOut() != 1 {
			continue
		}
		m[method.Name] = fn.Call(nil)[0].Interface()
	}
	return json.Marshal(m)
}

// humanSize is a size as docker prints it in tables: "1.98MB".
func humanSize(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

// humanAge is how long before now t was: "About an hour ago".
func humanAge(t, now time.Time) string {
	return units.HumanDuration(now.UTC().Sub(t)) + " ago"
}

// nowOr returns t, or the current time when t is zero.
func nowOr(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// shortID drops the algorithm prefix of an ID and keeps 12 characters.
func shortID(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// ellipsis shortens s to at most n characters, ending in "…" when cut.
func ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:max(n, 0)])
	}
	return string(r[:n-1]) + "…"
}
