package daemon

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/berth/berth/api"
	"github.com/berth/berth/daemon/config"
	"github.com/berth/berth/events"
	"github.com/berth/berth/image"
	"github.com/berth/berth/layer"
)

func newTestDaemon(t *testing.T) (*Daemon, *config.Config) {
	t.Helper()
	root := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	layers, err := layer.NewStore(filepath.Join(root, "layers"), log)
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	images, err := image.NewService(filepath.Join(root, "image"), layers, bus, log)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{DataRoot: root, DefaultRuntime: "runc", Runtimes: map[string]config.Runtime{"runc": {Path: "runc"}}, LiveRestore: true}
	cfg.ExecRoot = filepath.Join(root, "exec")
	ctrs, err := NewContainers(cfg, images, layers, bus, ContainersOptions{}, log)
	if err != nil {
		t.Fatal(err)
	}
	return New(cfg, "test-id", images, ctrs, layers, bus, log), cfg
}

func TestLockRefusesSecondDaemon(t *testing.T) {
	dir := t.TempDir()
	release, err := Lock(dir, filepath.Join(dir, "run", "berthd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir, filepath.Join(dir, "other.pid")); err == nil || !strings.Contains(err.Error(), "in use by another berthd") {
		t.Errorf("second lock: %v", err)
	}
	pid, _ := os.ReadFile(filepath.Join(dir, "run", "berthd.pid"))
	if strings.TrimSpace(string(pid)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("pid file holds %q", pid)
	}
	release()
	if _, err := os.Stat(filepath.Join(dir, "run", "berthd.pid")); !os.IsNotExist(err) {
		t.Error("pid file kept after release")
	}
	release2, err := Lock(dir, filepath.Join(dir, "run", "berthd.pid"))
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release2()
}

func TestEngineIDPersists(t *testing.T) {
	dir := t.TempDir()
	a, err := EngineID(dir)
	if err != nil || len(a) != 36 {
		t.Fatalf("EngineID = %q, %v", a, err)
	}
	b, _ := EngineID(dir)
	if a != b {
		t.Errorf("EngineID changed: %s -> %s", a, b)
	}
}

func TestInfoAndVersion(t *testing.T) {
	d, cfg := newTestDaemon(t)
	info, err := d.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != "test-id" || info.Driver != "overlay2" || info.DockerRootDir != cfg.DataRoot || info.NCPU != runtime.NumCPU() ||
		info.MemTotal <= 0 || info.KernelVersion == "" || info.OSType != "linux" || info.Images != 0 ||
		!info.LiveRestoreEnabled || info.DefaultRuntime != "runc" || info.Runtimes["runc"].Path != "runc" {
		t.Errorf("info: %+v", info)
	}
	if info.CgroupVersion != "1" && info.CgroupVersion != "2" {
		t.Errorf("cgroup version %q", info.CgroupVersion)
	}
	v := d.Version(context.Background())
	if v.APIVersion != api.MaxVersion || v.MinAPIVersion != api.MinVersion || v.Version != Version || v.Components[0].Name != "Engine" {
		t.Errorf("version: %+v", v)
	}
	du, err := d.DiskUsage(context.Background())
	if err != nil || du.LayersSize != 0 || len(du.Images) != 0 || du.Containers == nil {
		t.Errorf("disk usage: %+v %v", du, err)
	}
}

func TestProbeRuntime(t *testing.T) {
	if got := probeRuntime("/nonexistent/runc"); got != (runtimeVersion{}) {
		t.Errorf("missing runtime probed as %+v", got)
	}
	script := filepath.Join(t.TempDir(), "fake-runc")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'runc version 1.2.3'\necho 'commit: abc'\necho 'spec: 1.0.2'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := probeRuntime(script); got.Version != "1.2.3" || got.Commit != "abc" {
		t.Errorf("probe: %+v", got)
	}
}
