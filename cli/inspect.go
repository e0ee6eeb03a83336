package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"
)

// inspectGetter fetches one object: its typed value, for templates, and
// the daemon's raw JSON, which is what gets printed.
type inspectGetter func(ref string) (typed any, raw []byte, err error)

// writeInspect prints the objects named by refs like docker's inspect
// commands: without a format, a JSON array of the daemon's objects indented
// by four spaces; "json", the same compacted on one line; otherwise one
// line per object from the template. Objects that cannot be fetched are
// reported after the others, and make the command exit 1.
func writeInspect(w io.Writer, refs []string, format string, get inspectGetter) error {
	var tmpl *template.Template
	if format != "" && format != jsonFormatKey {
		var err error
		if tmpl, err = parseTemplate(format); err != nil {
			return StatusError{Status: "template parsing error: " + err.Error(), StatusCode: exitTemplateError}
		}
	}
	var (
		raws [][]byte
		out  bytes.Buffer
		errs []string
	)
	for _, ref := range refs {
		typed, raw, err := get(ref)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if tmpl == nil {
			raws = append(raws, raw)
			continue
		}
		if err := executeInspectTemplate(&out, tmpl, typed, raw); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if tmpl == nil {
		if err := writeJSONArray(&out, raws, format == jsonFormatKey); err != nil {
			return err
		}
	} else if out.Len() == 0 {
		out.WriteString("\n")
	}
	if _, err := out.WriteTo(w); err != nil {
		return err
	}
	if len(errs) > 0 {
		return StatusError{Status: strings.Join(errs, "\n"), StatusCode: 1}
	}
	return nil
}

// executeInspectTemplate renders typed with tmpl; if that fails (a field
// the typed value lacks), it retries on the raw JSON decoded into maps, so
// that fields this client does not know still work.
func executeInspectTemplate(w *bytes.Buffer, tmpl *template.Template, typed any, raw []byte) error {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, typed); err != nil {
		if raw == nil {
			return fmt.Errorf("template parsing error: %w", err)
		}
		buf.Reset()
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var generic any
		if err := dec.Decode(&generic); err != nil {
			return fmt.Errorf("unable to read inspect data: %w", err)
		}
		if err := tmpl.Option("missingkey=error").Execute(&buf, generic); err != nil {
			return fmt.Errorf("template parsing error: %w", err)
		}
	}
	buf.WriteByte('\n')
	_, _ = buf.WriteTo(w)
	return nil
}

func writeJSONArray(w *bytes.Buffer, raws [][]byte, compact bool) error {
	if len(raws) == 0 {
		w.WriteString("[]\n")
		return nil
	}
	joined := append([]byte("["), bytes.Join(raws, []byte(","))...)
	joined = append(joined, ']')
	var err error
	if compact {
		err = json.Compact(w, joined)
	} else {
		err = json.Indent(w, joined, "", "    ")
	}
	if err != nil {
		return errors.New("invalid JSON from the daemon: " + err.Error())
	}
	w.WriteString("\n")
	return nil
}
