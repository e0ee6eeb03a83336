package builder

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/berth/berth/api"
)

// output writes the classic builder's stream: text as {"stream": ...}
// messages (nothing of it when quiet), the result as {"aux": {"ID": ...}}.
type output struct {
	p     api.Progress
	quiet bool
}

func (o *output) printf(format string, args ...any) {
	if !o.quiet {
		o.p.Send(api.Message{Stream: fmt.Sprintf(format, args...)})
	}
}

// Write forwards a RUN container's output.
func (o *output) Write(b []byte) (int, error) {
	if !o.quiet && len(b) > 0 {
		o.p.Send(api.Message{Stream: string(b)})
	}
	return len(b), nil
}

func (o *output) aux(id string) {
	b, _ := json.Marshal(map[string]string{"ID": id})
	raw := json.RawMessage(b)
	o.p.Send(api.Message{Aux: &raw})
}

// orderedOutput lets stages that run at the same time write the one
// stream in Dockerfile order: the first unfinished stage streams live,
// later ones are held until every stage before them is done.
type orderedOutput struct {
	p api.Progress

	// mu guards the fields below and the writes to p.
	mu      sync.Mutex
	held    [][]api.Message
	done    []bool
	current int // the stage whose messages go out live
}

func newOrderedOutput(p api.Progress, n int) *orderedOutput {
	return &orderedOutput{p: p, held: make([][]api.Message, n), done: make([]bool, n)}
}

// slot is the Progress of stage number i.
func (o *orderedOutput) slot(i int) api.Progress { return slotProgress{o, i} }

func (o *orderedOutput) send(i int, m api.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if i == o.current {
		o.p.Send(m)
		return
	}
	o.held[i] = append(o.held[i], m)
}

// finish marks stage i done and lets the next ones out.
func (o *orderedOutput) finish(i int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done[i] = true
	for o.current < len(o.done) && o.done[o.current] {
		o.current++
		if o.current < len(o.held) {
			for _, m := range o.held[o.current] {
				o.p.Send(m)
			}
			o.held[o.current] = nil
		}
	}
}

type slotProgress struct {
	o *orderedOutput
	i int
}

func (s slotProgress) Send(m api.Message) { s.o.send(s.i, m) }
