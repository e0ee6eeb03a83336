package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/berth/berth/builder"
	"github.com/berth/berth/daemon"
	"github.com/berth/berth/daemon/config"
	"github.com/berth/berth/events"
	"github.com/berth/berth/image"
	"github.com/berth/berth/layer"
	"github.com/berth/berth/network"
	"github.com/berth/berth/registry"
	"github.com/berth/berth/server"
	"github.com/berth/berth/volume"
)

func version() string { return daemon.Version }

// run wires the services together and serves until SIGTERM or SIGINT.
func run(cfg *config.Config) error {
	// Catch SIGTERM/SIGINT from the start: one that arrives while the
	// daemon sets up (clients may already connect, see below) must shut it
	// down cleanly afterwards, not kill it with its socket and mounts left.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT)
	log := newLogger(cfg.LogLevel)
	for _, dir := range []string{cfg.DataRoot, cfg.ExecRoot} {
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return err
		}
	}
	release, err := daemon.Lock(cfg.DataRoot, cfg.Pidfile)
	if err != nil {
		return err
	}
	defer release()
	id, err := daemon.EngineID(cfg.DataRoot)
	if err != nil {
		return err
	}
	// Listen before building anything: a bad -H or TLS setting fails the
	// start before the daemon touches mounts, bridges or rules. Clients
	// that connect meanwhile wait in the backlog until Serve.
	listeners, err := listen(cfg, log)
	if err != nil {
		return err
	}
	served := false
	defer func() {
		if !served {
			for _, l := range listeners {
				l.Close()
			}
			removeUnixSockets(cfg.Hosts)
		}
	}()

	bus := events.NewBus()
	layers, err := layer.NewStore(filepath.Join(cfg.DataRoot, "layers"), log.With("component", "layer"))
	if err != nil {
		return err
	}
	images, err := image.NewService(filepath.Join(cfg.DataRoot, "image"), layers, bus, log.With("component", "image"))
	if err != nil {
		return err
	}
	nets, err := network.New(network.Config{
		DataDir: filepath.Join(cfg.DataRoot, "network"), RunDir: filepath.Join(cfg.ExecRoot, "netns"),
		Bridge: cfg.Bridge, BIP: cfg.BIP, IPTables: cfg.IPTables, Table: natTable(cfg.Bridge),
	}, log.With("component", "network"))
	if err != nil {
		return err
	}
	ports, err := network.NewPorts(network.PortsConfig{
		StateFile: filepath.Join(cfg.ExecRoot, "ports.json"), Table: natTable(cfg.Bridge), IPTables: cfg.IPTables,
	}, log.With("component", "ports"))
	if err != nil {
		return err
	}
	vols, err := volume.New(filepath.Join(cfg.DataRoot, "volumes"), log.With("component", "volume"))
	if err != nil {
		return err
	}
	ctrs, err := daemon.NewContainers(cfg, images, layers, bus, daemon.ContainersOptions{
		ShimPath: helperPath("berth-shim"), InitPath: initPath(cfg.InitPath), Network: nets, Ports: ports, Volumes: vols,
	}, log.With("component", "containers"))
	if err != nil {
		return err
	}
	rc, err := registry.NewClient(registry.Options{InsecureRegistries: cfg.InsecureRegistries, Mirrors: cfg.RegistryMirrors,
		CertsDirs: cfg.RegistryCertsDirs, AllowNondistributable: cfg.AllowNondistributableArtifacts,
		UserAgent: "berth/" + daemon.Version, Log: log.With("component", "registry")})
	if err != nil {
		return err
	}
	dist := image.NewDistribution(images, rc, image.DistributionOptions{MaxDownloads: cfg.MaxConcurrentDownloads, MaxUploads: cfg.MaxConcurrentUploads,
		MaxDownloadAttempts: cfg.MaxDownloadAttempts},
		log.With("component", "distribution"))
	d := daemon.New(cfg, id, images, ctrs, layers, bus, log)
	bld, err := builder.New(filepath.Join(cfg.DataRoot, "builder"), images, dist, layers, ctrs, log.With("component", "builder"))
	if err != nil {
		return err
	}
	api := server.New(server.Backends{System: d, Images: images, Containers: ctrs, Exec: ctrs, Distribution: dist, Volumes: vols,
		Networks: daemon.NewNetworks(ctrs, nets), Build: bld},
		daemon.Version, log.With("component", "api"))

	served = true
	// Cancelling baseCtx at shutdown ends long streams (events, logs -f).
	baseCtx, stopStreams := context.WithCancel(context.Background())
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 30 * time.Second, BaseContext: func(net.Listener) context.Context { return baseCtx }}
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		log.Info("API listening", "addr", l.Addr().String())
		go func() { errc <- srv.Serve(l) }()
	}
	log.Info("berthd started", "version", daemon.Version, "data-root", cfg.DataRoot, "pid", os.Getpid())

	select {
	case sig := <-sigc:
		log.Info("shutting down", "signal", sig.String())
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("API server failed", "err", err)
		}
	}
	stopStreams()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
	ctrs.Shutdown(ctx)
	if err := nets.Close(); err != nil {
		log.Warn("closing networks", "err", err)
	}
	removeUnixSockets(cfg.Hosts)
	return nil
}

// helperPath finds a helper binary next to berthd's own executable, then on PATH.
func helperPath(name string) string {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return name
}

// initPath is the init binary for --init: the configured one, else Debian's
// static tini, else tini.
func initPath(configured string) string {
	if configured != "" {
		return configured
	}
	for _, name := range []string{"tini-static", "tini", "docker-init"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return "/usr/bin/tini-static"
}

func listen(cfg *config.Config, log *slog.Logger) ([]net.Listener, error) {
	opts := server.ListenOptions{Group: cfg.Group, AllowPlainTCP: cfg.PlainTCPAllowed()}
	if cfg.UseTLS() {
		var err error
		if opts.TLS, err = server.TLSConfig(cfg.TLSCert, cfg.TLSKey, cfg.TLSCACert, cfg.TLSVerify); err != nil {
			return nil, err
		}
	}
	var all []net.Listener
	var once sync.Once
	closeAll := func() {
		once.Do(func() {
			for _, l := range all {
				l.Close()
			}
		})
	}
	for _, host := range cfg.Hosts {
		ls, err := server.Listen(host, opts, log)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("listening on %s: %w", host, err)
		}
		all = append(all, ls...)
	}
	return all, nil
}

func removeUnixSockets(hosts []string) {
	for _, h := range hosts {
		if path, ok := strings.CutPrefix(h, "unix://"); ok {
			os.Remove(path)
		}
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// natTable is the nftables table of a bridge: "berth" for the default one,
// one of its own for any other, so that daemons on different bridges never
// rewrite each other's rules.
func natTable(bridge string) string {
	if bridge == "" || bridge == "berth0" {
		return "berth"
	}
	return "berth_" + bridge
}
