// Package events is Berth's event bus: services publish what happened to
// their objects, and `GET /events` subscribers receive it live. The last
// events are kept in a ring buffer so that `since` can replay them.
package events

import (
	"sync"
	"time"

	"github.com/moby/moby/api/types/events"
)

// historySize is how many past events `since` and `until` can replay:
// Docker's 256.
const historySize = 256

// Bus fans published events out to subscribers.
type Bus struct {
	// mu guards history, next and subs.
	mu      sync.Mutex
	history []events.Message // ring buffer, oldest at next once full
	next    int
	subs    map[*Subscription]struct{}
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{subs: map[*Subscription]struct{}{}}
}

// Subscription receives live events on C until Close.
type Subscription struct {
	C    chan events.Message
	bus  *Bus
	once sync.Once
}

// Publish records an event about the object id of type typ and sends it to
// every subscriber. A subscriber that does not keep up loses events rather
// than stall the publisher.
func (b *Bus) Publish(typ events.Type, action events.Action, id string, attrs map[string]string) {
	now := time.Now()
	msg := events.Message{
		Type:     typ,
		Action:   action,
		Actor:    events.Actor{ID: id, Attributes: attrs},
		Scope:    "local",
		Time:     now.Unix(),
		TimeNano: now.UnixNano(),
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.history) < historySize {
		b.history = append(b.history, msg)
	} else {
		b.history[b.next] = msg
		b.next = (b.next + 1) % historySize
	}
	for s := range b.subs {
		select {
		case s.C <- msg:
		default:
		}
	}
}

// Subscribe returns the recorded events at or after since (none when since
// is zero) and a subscription for the events after them.
func (b *Bus) Subscribe(since time.Time) ([]events.Message, *Subscription) {
	return b.SubscribeBetween(since, time.Time{})
}

// SubscribeBetween returns the recorded events from since to until, as
// Docker replays them (none when both are zero; either bound may be zero),
// and a subscription for the events after them; no event falls between.
func (b *Bus) SubscribeBetween(since, until time.Time) ([]events.Message, *Subscription) {
	s := &Subscription{C: make(chan events.Message, 256), bus: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	var past []events.Message
	if !since.IsZero() || !until.IsZero() {
		for i := range b.history {
			msg := b.history[(b.next+i)%len(b.history)]
			if (since.IsZero() || msg.TimeNano >= since.UnixNano()) && (until.IsZero() || msg.TimeNano <= until.UnixNano()) {
				past = append(past, msg)
			}
		}
	}
	b.subs[s] = struct{}{}
	return past, s
}

// Close ends the subscription; C is not closed, so senders never panic.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		s.bus.mu.Unlock()
	})
}

// Subscribers returns how many clients are listening.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
