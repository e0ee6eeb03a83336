package events

import (
	"testing"
	"time"

	"github.com/berth/berth/api/filters"
	"github.com/moby/moby/api/types/events"
)

func TestSubscribeReplaysSinceAndStreamsLive(t *testing.T) {
	b := NewBus()
	b.Publish(events.ImageEventType, events.ActionLoad, "sha256:old", nil)
	time.Sleep(2 * time.Millisecond)
	mark := time.Now()
	b.Publish(events.ImageEventType, events.ActionTag, "sha256:a", map[string]string{"name": "a:1"})

	past, sub := b.Subscribe(mark)
	defer sub.Close()
	if len(past) != 1 || past[0].Action != events.ActionTag {
		t.Fatalf("replay since mark: %+v", past)
	}
	if none, s2 := b.Subscribe(time.Time{}); len(none) != 0 {
		t.Errorf("zero since replayed %d events", len(none))
	} else {
		s2.Close()
	}
	if b.Subscribers() != 1 {
		t.Errorf("subscribers = %d", b.Subscribers())
	}
	b.Publish(events.ImageEventType, events.ActionDelete, "sha256:a", nil)
	select {
	case m := <-sub.C:
		if m.Action != events.ActionDelete || m.Actor.ID != "sha256:a" || m.Scope != "local" || m.TimeNano == 0 {
			t.Errorf("live event: %+v", m)
		}
	case <-time.After(time.Second):
		t.Fatal("no live event")
	}
	sub.Close()
	sub.Close() // idempotent
	if b.Subscribers() != 0 {
		t.Errorf("subscribers after close = %d", b.Subscribers())
	}
}

func TestRingBufferKeepsTheNewest(t *testing.T) {
	b := NewBus()
	start := time.Now().Add(-time.Second)
	for i := range historySize + 10 {
		b.Publish(events.ImageEventType, events.ActionTag, string(rune('a'+i%26)), nil)
	}
	past, sub := b.Subscribe(start)
	sub.Close()
	if len(past) != historySize {
		t.Fatalf("replayed %d, want %d", len(past), historySize)
	}
	for i := 1; i < len(past); i++ {
		if past[i].TimeNano < past[i-1].TimeNano {
			t.Fatal("replay out of order")
		}
	}
}

func TestSlowSubscriberDoesNotBlockPublisher(t *testing.T) {
	b := NewBus()
	_, sub := b.Subscribe(time.Time{})
	defer sub.Close()
	done := make(chan struct{})
	go func() {
		for range 10 * cap(sub.C) {
			b.Publish(events.ImageEventType, events.ActionTag, "x", nil)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publisher blocked on a subscriber that does not read")
	}
}

func TestFilter(t *testing.T) {
	img := events.Message{Type: events.ImageEventType, Action: events.ActionTag, Scope: "local",
		Actor: events.Actor{ID: "sha256:abc", Attributes: map[string]string{"name": "busybox:1", "team": "x"}}}
	ctr := events.Message{Type: events.ContainerEventType, Action: events.ActionStart, Scope: "local",
		Actor: events.Actor{ID: "c0ffee", Attributes: map[string]string{"name": "web", "image": "busybox:1"}}}
	cases := []struct {
		filter   string
		img, ctr bool
	}{
		{`{}`, true, true},
		{`{"type":{"image":true}}`, true, false},
		{`{"event":{"start":true}}`, false, true},
		{`{"image":{"busybox:1":true}}`, true, true},
		{`{"image":{"sha256:abc":true}}`, true, false},
		{`{"image":{"sha256:ab":true}}`, false, false}, // images match whole, as in Docker
		{`{"image":{"busybox":true}}`, true, true},     // and without their tag
		{`{"event":{"health_status":true}}`, false, false},
		{`{"container":{"web":true}}`, false, true},
		{`{"container":{"c0f":true}}`, false, true},
		{`{"label":{"team=x":true}}`, true, false},
		{`{"scope":{"swarm":true}}`, false, false},
	}
	for _, c := range cases {
		args, err := filters.Parse(c.filter)
		if err != nil {
			t.Fatal(err)
		}
		f, err := NewFilter(args)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(img); got != c.img {
			t.Errorf("%s on image event = %v", c.filter, got)
		}
		if got := f.Match(ctr); got != c.ctr {
			t.Errorf("%s on container event = %v", c.filter, got)
		}
	}
	// Docker accepts keys it does not know, and they filter nothing.
	if f, err := NewFilter(filters.Args{"bogus": {"1": true}}); err != nil || !f.Match(img) {
		t.Errorf("unknown filter key: %v", err)
	}
}

func TestFilterSuffixedActions(t *testing.T) {
	health := events.Message{Type: events.ContainerEventType, Action: "health_status: healthy", Actor: events.Actor{ID: "c0ffee"}}
	exec := events.Message{Type: events.ContainerEventType, Action: "exec_start: sh -c true", Actor: events.Actor{ID: "c0ffee"}}
	for filter, want := range map[string][2]bool{
		`{"event":{"health_status":true}}`:          {true, false},
		`{"event":{"health_status: healthy":true}}`: {true, false},
		`{"event":{"exec_start":true}}`:             {false, true},
		`{"event":{"exec_die":true}}`:               {false, false},
	} {
		args, err := filters.Parse(filter)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := NewFilter(args)
		if got := [2]bool{f.Match(health), f.Match(exec)}; got != want {
			t.Errorf("%s: %v, want %v", filter, got, want)
		}
	}
}

func TestReplayUntil(t *testing.T) {
	b := NewBus()
	b.Publish(events.ImageEventType, events.ActionTag, "a", nil)
	time.Sleep(2 * time.Millisecond)
	mark := time.Now()
	time.Sleep(2 * time.Millisecond)
	b.Publish(events.ImageEventType, events.ActionTag, "b", nil)
	// until alone replays everything recorded before it, as Docker.
	past, sub := b.SubscribeBetween(time.Time{}, mark)
	sub.Close()
	if len(past) != 1 || past[0].Actor.ID != "a" {
		t.Errorf("until only: %+v", past)
	}
	past, sub = b.SubscribeBetween(mark, time.Now())
	sub.Close()
	if len(past) != 1 || past[0].Actor.ID != "b" {
		t.Errorf("since and until: %+v", past)
	}
}
