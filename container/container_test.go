package container

import (
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

func newContainer(name string) *Container {
	return &Container{ID: GenerateID(), Name: name, Created: time.Now(), Config: &container.Config{}, HostConfig: &container.HostConfig{},
		State: State{Status: container.StateCreated}}
}

func TestStoreAddGetRenamePersist(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	a := newContainer("/web")
	if err := s.Add(a); err != nil {
		t.Fatal(err)
	}
	b := newContainer("/web")
	if err := s.Add(b); !errdefs.IsConflict(err) || err.Error() != `Conflict. The container name "/web" is already in use by container "`+a.ID+`". You have to remove (or rename) that container to be able to reuse that name.` {
		t.Errorf("duplicate name: %v", err)
	}
	for _, ref := range []string{a.ID, "web", "/web", a.ID[:12]} {
		if got, err := s.Get(ref); err != nil || got != a {
			t.Errorf("Get(%q) = %v, %v", ref, got, err)
		}
	}
	if _, err := s.Get("nope"); !errdefs.IsNotFound(err) || err.Error() != "No such container: nope" {
		t.Errorf("Get(nope) = %v", err)
	}
	if err := s.Rename(a, "/api"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("web"); !errdefs.IsNotFound(err) {
		t.Error("old name still resolves")
	}
	s2, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Get("api")
	if err != nil || got.ID != a.ID || got.State.Status != container.StateCreated {
		t.Errorf("reloaded: %+v %v", got, err)
	}
	if err := s2.Delete(got); err != nil {
		t.Fatal(err)
	}
	if s3, _ := NewStore(root); len(s3.List()) != 0 {
		t.Error("deleted container reloaded")
	}
}

func TestStateTransitions(t *testing.T) {
	var s State
	s.Status = container.StateCreated
	if err := s.CanStart(); err != nil {
		t.Errorf("created: %v", err)
	}
	now := time.Now()
	s.SetRunning(42, now.Add(-3*time.Second))
	if !errdefs.IsNotModified(s.CanStart()) {
		t.Error("running container may start again")
	}
	if got := s.StatusString(now); got != "Up 3 seconds" {
		t.Errorf("status %q", got)
	}
	s.SetExited(137, now.Add(-2*time.Minute), false)
	if got := s.StatusString(now); got != "Exited (137) 2 minutes ago" {
		t.Errorf("status %q", got)
	}
	api := s.APIState()
	if api.Running || api.ExitCode != 137 || api.Pid != 0 || api.StartedAt == zeroTime {
		t.Errorf("api state %+v", api)
	}
	if err := ValidateName("bad name"); !errdefs.IsInvalidArgument(err) {
		t.Errorf("bad name accepted: %v", err)
	}
	if id := GenerateID(); len(id) != 64 {
		t.Errorf("id %q", id)
	}
}

// TestStoreGeneratedNames: containers without a name get distinct random
// names, also once the plain adjective_surname space is crowded.
func TestStoreGeneratedNames(t *testing.T) {
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	const n = 1500 // more than adjectives x surnames: retries and fallbacks are needed
	for range n {
		c := newContainer("")
		if err := s.Add(c); err != nil {
			t.Fatalf("add %d: %v", len(seen), err)
		}
		if seen[c.Name] || c.Name == "" || c.Name[0] != '/' {
			t.Fatalf("generated name %q (duplicate: %v)", c.Name, seen[c.Name])
		}
		seen[c.Name] = true
	}
	if n > len(adjectives)*len(surnames) && len(seen) != n {
		t.Errorf("%d distinct names for %d containers", len(seen), n)
	}
}
