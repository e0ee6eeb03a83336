package daemon

import (
	"syscall"
	"testing"
	"time"

	"github.com/berth/berth/container"
	containertypes "github.com/moby/moby/api/types/container"
)

func TestPolicyWantsRestart(t *testing.T) {
	onFailure2 := containertypes.RestartPolicy{Name: containertypes.RestartPolicyOnFailure, MaximumRetryCount: 2}
	cases := []struct {
		policy               containertypes.RestartPolicy
		code, count          int
		manuallyStopped, out bool
	}{
		{containertypes.RestartPolicy{}, 1, 0, false, false},
		{containertypes.RestartPolicy{Name: containertypes.RestartPolicyDisabled}, 1, 0, false, false},
		{containertypes.RestartPolicy{Name: containertypes.RestartPolicyAlways}, 0, 99, true, true},
		{containertypes.RestartPolicy{Name: containertypes.RestartPolicyUnlessStopped}, 0, 0, false, true},
		{containertypes.RestartPolicy{Name: containertypes.RestartPolicyUnlessStopped}, 1, 0, true, false},
		{onFailure2, 0, 0, false, false},
		{onFailure2, 3, 1, false, true},
		{onFailure2, 3, 2, false, false},
		{containertypes.RestartPolicy{Name: containertypes.RestartPolicyOnFailure}, 3, 1000, false, true},
	}
	for _, c := range cases {
		if got := policyWantsRestart(c.policy, c.code, c.count, c.manuallyStopped); got != c.out {
			t.Errorf("%+v exit %d count %d stopped %v: %v", c.policy, c.code, c.count, c.manuallyStopped, got)
		}
	}
}

// TestRestartBackoff checks Docker's delays: 100 ms doubling to a minute,
// back to 100 ms after a run of 10 s; a stop ends the policy.
func TestRestartBackoff(t *testing.T) {
	store, err := container.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := &Containers{store: store}
	c := &container.Container{ID: container.GenerateID(), Name: "/c1", Config: &containertypes.Config{},
		HostConfig: &containertypes.HostConfig{RestartPolicy: containertypes.RestartPolicy{Name: containertypes.RestartPolicyAlways}}}
	if err := store.Add(c); err != nil {
		t.Fatal(err)
	}
	var got []time.Duration
	for range 12 {
		p, delay := cs.planRestart(c, 1, time.Second)
		if p == nil {
			t.Fatal("always did not restart")
		}
		got = append(got, delay)
	}
	want := []time.Duration{100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays %v", got)
		}
	}
	if _, delay := cs.planRestart(c, 1, 10*time.Second); delay != 100*time.Millisecond {
		t.Errorf("delay after a 10 s run: %v", delay)
	}
	cs.noteStop(c, syscall.SIGTERM) // stop signal: the policy ends
	if p, _ := cs.planRestart(c, 1, time.Second); p != nil {
		t.Error("restart planned after a stop")
	}
	if !c.HasBeenManuallyStopped {
		t.Error("stop not recorded as manual")
	}
}
