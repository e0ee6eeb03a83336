package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/berth/berth/api"
	"github.com/berth/berth/api/filters"
	"github.com/containerd/errdefs"
)

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// boolValue reads a boolean query parameter the way Docker does: absent,
// empty, "0", "no", "false" and "none" are false; anything else is true.
func boolValue(r *http.Request, key string) bool {
	switch strings.ToLower(strings.TrimSpace(r.Form.Get(key))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// parseForm parses the query (and form body) and its filters parameter.
func parseForm(r *http.Request) (filters.Args, error) {
	if err := r.ParseForm(); err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	return filters.Parse(r.Form.Get("filters"))
}

// progressWriter streams api.Messages as chunked JSON, flushing each one so
// that the client renders progress as it happens. The 200 headers go out with
// the first message, so an operation that fails before reporting anything
// still gets a normal error response (as with Docker).
type progressWriter struct {
	// mu serialises writes from concurrent workers (layer downloads).
	mu      sync.Mutex
	w       http.ResponseWriter
	enc     *json.Encoder
	started bool
}

func newProgress(w http.ResponseWriter) *progressWriter {
	return &progressWriter{w: w, enc: json.NewEncoder(w)}
}

// Send writes one message and flushes it.
func (p *progressWriter) Send(m api.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startLocked()
	_ = p.enc.Encode(m)
	flush(p.w)
}

func (p *progressWriter) startLocked() {
	if !p.started {
		p.started = true
		p.w.Header().Set("Content-Type", "application/json")
		p.w.WriteHeader(http.StatusOK)
	}
}

// finish reports err in-band once the stream has started, or returns it for
// a normal error response when nothing was sent yet.
func (p *progressWriter) finish(err error) error {
	p.mu.Lock()
	started := p.started
	p.mu.Unlock()
	if err != nil && started {
		p.Send(api.ErrorMessageOf(err))
		return nil
	}
	if err == nil && !started {
		p.mu.Lock()
		p.startLocked()
		p.mu.Unlock()
	}
	return err
}

func flush(w http.ResponseWriter) {
	_ = http.NewResponseController(w).Flush()
}

// lazyHeaderWriter sends the 200 headers with the first byte written, so
// that a handler can still answer with an error until then.
type lazyHeaderWriter struct {
	w           http.ResponseWriter
	contentType string
	started     bool
}

func (l *lazyHeaderWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", l.contentType)
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}
