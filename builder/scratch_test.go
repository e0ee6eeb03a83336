package builder

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth/berth/layer"
	"github.com/berth/berth/test/testenv"
)

// A scratch layer a crash left behind is removed when the builder opens.
func TestLeftScratchLayersRemovedAtStart(t *testing.T) {
	testenv.RequireRoot(t) // unmounting needs it
	dir := t.TempDir()
	layers, err := layer.NewStore(filepath.Join(dir, "layers"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(filepath.Join(dir, "builder"), nil, nil, layers, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	id, err := b.createScratch("build-", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(layers.RWDiffDir(id)); err != nil {
		t.Fatalf("scratch layer not made: %v", err)
	}
	// The daemon dies here; the next start opens the builder again.
	if _, err := New(filepath.Join(dir, "builder"), nil, nil, layers, nil, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(layers.RWDiffDir(id)); !os.IsNotExist(err) {
		t.Errorf("left scratch layer still there: %v", err)
	}
	if left, _ := os.ReadDir(b.scratchDir()); len(left) != 0 {
		t.Errorf("scratch markers left: %v", left)
	}
}
