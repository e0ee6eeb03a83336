package api

import "encoding/json"

// Message is one object of the chunked JSON streams that pull, push, load,
// import and build write. It carries both the structured fields current
// clients read and the legacy string forms (progress, error) older clients
// read.
type Message struct {
	Stream          string           `json:"stream,omitempty"`
	Status          string           `json:"status,omitempty"`
	ProgressDetail  *ProgressDetail  `json:"progressDetail,omitempty"`
	ProgressMessage string           `json:"progress,omitempty"`
	ID              string           `json:"id,omitempty"`
	ErrorDetail     *ErrorDetail     `json:"errorDetail,omitempty"`
	ErrorMessage    string           `json:"error,omitempty"`
	Aux             *json.RawMessage `json:"aux,omitempty"`
}

// ProgressDetail is the machine-readable progress of one item.
type ProgressDetail struct {
	Current int64  `json:"current,omitempty"`
	Total   int64  `json:"total,omitempty"`
	Start   int64  `json:"start,omitempty"`
	Units   string `json:"units,omitempty"`
}

// ErrorDetail reports a failure after a stream has started.
type ErrorDetail struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// ErrorMessageOf returns the stream message that reports err.
func ErrorMessageOf(err error) Message {
	return Message{ErrorDetail: &ErrorDetail{Message: err.Error()}, ErrorMessage: err.Error()}
}

// Progress receives the messages of a long operation as they happen.
// Implementations write them to the client and flush; they must be safe for
// use by one goroutine at a time.
type Progress interface {
	Send(Message)
}

// Discard is a Progress that drops every message.
var Discard Progress = discard{}

type discard struct{}

func (discard) Send(Message) {}
