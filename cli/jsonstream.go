package cli

// Rendering of the JSON message stream that the daemon sends for pull,
// push, load, import and build, the way the docker CLI prints it.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/jsonstream"
)

// streamMessage is one message of the stream. Besides the fields of
// jsonstream.Message it keeps the legacy ones older daemons still send:
// "progress" (a preformatted bar), "error", "from", "time" and "timeNano".
type streamMessage struct {
	Stream          string               `json:"stream,omitempty"`
	Status          string               `json:"status,omitempty"`
	Progress        *jsonstream.Progress `json:"progressDetail,omitempty"`
	ProgressMessage string               `json:"progress,omitempty"`
	ID              string               `json:"id,omitempty"`
	From            string               `json:"from,omitempty"`
	Time            int64                `json:"time,omitempty"`
	TimeNano        int64                `json:"timeNano,omitempty"`
	Error           *jsonstream.Error    `json:"errorDetail,omitempty"`
	ErrorMessage    string               `json:"error,omitempty"`
	Aux             *json.RawMessage     `json:"aux,omitempty"`
}

// err returns the error the message reports, if any.
func (m *streamMessage) err() error {
	switch {
	case m.Error != nil:
		return m.Error
	case m.ErrorMessage != "":
		return &jsonstream.Error{Message: m.ErrorMessage}
	}
	return nil
}

// streamOptions says how to render a stream.
type streamOptions struct {
	// terminal rewrites the line of each ID in place with ANSI cursor
	// moves and draws progress bars; otherwise progress is left out and
	// every message is a plain line.
	terminal bool
	// width is the terminal's width. Bars need more than 110 columns,
	// the time left more than 50.
	width int
	// aux receives the out-of-band "aux" payloads (image IDs, digests);
	// such messages are not printed.
	aux func(json.RawMessage)
}

const (
	ansiEraseLine = "\x1b[2K"
	ansiUp        = "\x1b[%dA"
	ansiDown      = "\x1b[%dB"
)

// displayJSONStream prints the messages read from r to w and returns the
// error of the first message that reports one (errorDetail).
func displayJSONStream(r io.Reader, w io.Writer, opts streamOptions) error {
	dec := json.NewDecoder(r)
	// lines maps the ID of each progress line to its row, counted from the
	// first; the cursor sits below the last.
	lines := map[string]int{}
	for {
		var m streamMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.Aux != nil {
			if opts.aux != nil {
				opts.aux(*m.Aux)
			}
			continue
		}
		up := 0
		if m.ID != "" && m.Progress != nil {
			line, ok := lines[m.ID]
			if !ok {
				line = len(lines)
				lines[m.ID] = line
				if opts.terminal {
					_, _ = io.WriteString(w, "\n")
				}
			}
			up = len(lines) - line
			if opts.terminal && up > 0 {
				_, _ = fmt.Fprintf(w, ansiUp, up)
			}
		} else {
			// Anything else ends the block of lines that can be updated.
			lines = map[string]int{}
		}
		err := printStreamMessage(w, &m, opts)
		if m.ID != "" && opts.terminal && up > 0 {
			_, _ = fmt.Fprintf(w, ansiDown, up)
		}
		if err != nil {
			return err
		}
	}
}

// printStreamMessage prints one message.
func printStreamMessage(w io.Writer, m *streamMessage, opts streamOptions) error {
	if err := m.err(); err != nil {
		return err
	}
	endl := ""
	if opts.terminal && m.Stream == "" && m.Progress != nil {
		_, _ = io.WriteString(w, ansiEraseLine+"\r")
		endl = "\r"
	} else if m.Progress != nil && (m.Progress.Current > 0 || m.Progress.Total > 0) {
		return nil // no progress bars off a terminal
	}
	if m.TimeNano != 0 {
		_, _ = fmt.Fprintf(w, "%s ", time.Unix(0, m.TimeNano).Format(rfc3339NanoFixed))
	} else if m.Time != 0 {
		_, _ = fmt.Fprintf(w, "%s ", time.Unix(m.Time, 0).Format(rfc3339NanoFixed))
	}
	if m.ID != "" {
		_, _ = fmt.Fprintf(w, "%s: ", m.ID)
	}
	if m.From != "" {
		_, _ = fmt.Fprintf(w, "(from %s) ", m.From)
	}
	switch {
	case m.Progress != nil && opts.terminal:
		_, _ = fmt.Fprintf(w, "%s %s%s", m.Status, progressBar(*m.Progress, opts.width, time.Now()), endl)
	case m.ProgressMessage != "":
		_, _ = fmt.Fprintf(w, "%s %s%s", m.Status, m.ProgressMessage, endl)
	case m.Stream != "":
		_, _ = fmt.Fprintf(w, "%s%s", m.Stream, endl)
	default:
		_, _ = fmt.Fprintf(w, "%s%s\n", m.Status, endl)
	}
	return nil
}

// progressBar renders p like docker: "[=====>     ]  1.2MB/3.4MB 2s".
func progressBar(p jsonstream.Progress, width int, now time.Time) string {
	if p.Current <= 0 && p.Total <= 0 {
		return ""
	}
	if p.Total <= 0 {
		if p.Units == "" {
			return fmt.Sprintf("%8v", units.HumanSize(float64(p.Current)))
		}
		return fmt.Sprintf("%d %s", p.Current, p.Units)
	}
	percent := min(int(float64(p.Current)/float64(p.Total)*100)/2, 50)
	var bar, numbers, left string
	if width > 110 {
		bar = fmt.Sprintf("[%s>%s] ", strings.Repeat("=", percent), strings.Repeat(" ", max(50-percent, 0)))
	}
	switch {
	case p.HideCounts:
	case p.Units == "":
		numbers = fmt.Sprintf("%8v/%v", units.HumanSize(float64(p.Current)), units.HumanSize(float64(p.Total)))
		if p.Current > p.Total {
			numbers = fmt.Sprintf("%8v", units.HumanSize(float64(p.Current)))
		}
	default:
		numbers = fmt.Sprintf("%d/%d %s", p.Current, p.Total, p.Units)
		if p.Current > p.Total {
			numbers = fmt.Sprintf("%d %s", p.Current, p.Units)
		}
	}
	if width > 50 && p.Current > 0 && p.Start > 0 && percent < 50 {
		perUnit := now.UTC().Sub(time.Unix(p.Start, 0)) / time.Duration(p.Current)
		left = " " + (time.Duration(p.Total-p.Current) * perUnit).Round(time.Second).String()
	}
	return bar + numbers + left
}

// streamOptions returns how the CLI's standard output shows a stream.
func (c *CLI) streamOptions() streamOptions {
	return streamOptions{terminal: c.outIsTerminal(), width: c.outWidth()}
}
