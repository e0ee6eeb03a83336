package cli

import (
	"bytes"
	"testing"

	"github.com/moby/moby/api/types/events"
)

func TestWriteEvent(t *testing.T) {
	tagged := events.Message{
		Type:     events.ImageEventType,
		Action:   events.ActionTag,
		Actor:    events.Actor{ID: testID1, Attributes: map[string]string{"name": "x:1"}},
		Scope:    "local",
		Time:     testNow.Unix(),
		TimeNano: testNow.UnixNano(),
	}
	tests := []struct {
		name   string
		msg    events.Message
		format string
		want   string
	}{
		{
			name: "docker line",
			msg:  tagged,
			want: "2026-11-26T10:00:00.000000000Z image tag " + testID1 + " (name=x:1)\n",
		},
		{
			name: "attributes sorted, seconds only",
			msg: events.Message{
				Type:   events.ContainerEventType,
				Action: events.ActionStart,
				Actor:  events.Actor{ID: "abc", Attributes: map[string]string{"name": "web", "image": "bb:1", "a": "b"}},
				Time:   testNow.Unix() + 1,
			},
			want: "2026-11-26T10:00:01.000000000Z container start abc (a=b, image=bb:1, name=web)\n",
		},
		{
			name: "no attributes",
			msg:  events.Message{Type: events.DaemonEventType, Action: events.ActionReload, Actor: events.Actor{ID: "d1"}, TimeNano: testNow.UnixNano() + 123},
			want: "2026-11-26T10:00:00.000000123Z daemon reload d1\n",
		},
		{
			name:   "template",
			msg:    tagged,
			format: "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
			want:   "image tag x:1\n",
		},
		{
			name:   "json",
			msg:    tagged,
			format: "json",
			want:   `{"Type":"image","Action":"tag","Actor":{"ID":"` + testID1 + `","Attributes":{"name":"x:1"}},"scope":"local","time":1795687200,"timeNano":1795687200000000000}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := eventsTemplate(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := writeEvent(&out, tt.msg, tmpl); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestEventsTemplateRejectsUnknownField(t *testing.T) {
	if _, err := eventsTemplate("{{.Nope}}"); err == nil {
		t.Error("want an error for an unknown field")
	}
	if _, err := eventsTemplate("{{.Type"); err == nil {
		t.Error("want an error for a template that does not parse")
	}
}
