package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// infoData is what "info" templates see; the server's fields are at the
// top level, as in docker.
type infoData struct {
	*system.Info `json:",omitempty"`
	ServerErrors []string `json:",omitempty"`

	ClientInfo   *clientInfo `json:",omitempty"`
	ClientErrors []string    `json:",omitempty"`
}

type clientInfo struct {
	Debug bool
	clientVersion
	Plugins  []any
	Warnings []string
}

func newInfoCommand(c *CLI) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Display system-wide information",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInfo(cmd.Context(), c, format)
		},
	}
	withAliases(cmd, "berth system info", "berth info")
	cmd.Flags().StringVarP(&format, "format", "f", "", inspectFormatHelp)
	return topCommand(cmd, 12)
}

func runInfo(ctx context.Context, c *CLI, format string) error {
	data := infoData{ClientInfo: &clientInfo{
		Debug:         c.opts.debug,
		clientVersion: newClientVersion(""),
		Plugins:       []any{},
	}}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.Info(ctx, client.InfoOptions{})
	if err == nil {
		data.Info = &res.Info
	} else {
		data.ServerErrors = append(data.ServerErrors, c.errorText(err))
		if format != "" {
			// The template may not show ServerErrors; say it here.
			_, _ = fmt.Fprintln(c.errOut, c.errorText(err))
			data.Info = &system.Info{}
		}
	}
	if format == "" {
		return writeInfo(c.out, c.errOut, data)
	}
	return writeInfoFormat(c.out, data, format)
}

// writeInfoFormat renders data with a --format template.
func writeInfoFormat(w io.Writer, data infoData, format string) error {
	if format == jsonFormatKey {
		format = jsonTemplate
	}
	tmpl, err := parseTemplate(format)
	if err != nil {
		return StatusError{Status: "template parsing error: " + err.Error(), StatusCode: exitTemplateError}
	}
	err = tmpl.Execute(w, data)
	_, _ = fmt.Fprintln(w)
	return err
}

// writeInfo prints data in docker's layout; errors and warnings go to
// errOut. It fails if the server could not be asked.
func writeInfo(w, errOut io.Writer, data infoData) error {
	_, _ = fmt.Fprintln(w, "Client:")
	ci := data.ClientInfo
	printNonEmpty(w, " Version:   ", ci.Version)
	_, _ = fmt.Fprintln(w, " Context:   ", ci.Context)
	_, _ = fmt.Fprintln(w, " Debug Mode:", ci.Debug)
	for _, e := range data.ClientErrors {
		_, _ = fmt.Fprintln(errOut, "ERROR:", e)
	}
	_, _ = fmt.Fprintln(w)
	_, _ = fmt.Fprintln(w, "Server:")
	if data.Info != nil {
		if err := writeServerInfo(w, errOut, data.Info, ci.Debug); err != nil {
			data.ServerErrors = append(data.ServerErrors, err.Error())
		}
	}
	for _, e := range data.ServerErrors {
		_, _ = fmt.Fprintln(errOut, "ERROR:", e)
	}
	if len(data.ServerErrors) > 0 || len(data.ClientErrors) > 0 {
		return errors.New("errors pretty printing info")
	}
	return nil
}

func writeServerInfo(w, errOut io.Writer, info *system.Info, clientDebug bool) error {
	p := func(a ...any) { _, _ = fmt.Fprintln(w, a...) }
	p(" Containers:", info.Containers)
	p("  Running:", info.ContainersRunning)
	p("  Paused:", info.ContainersPaused)
	p("  Stopped:", info.ContainersStopped)
	p(" Images:", info.Images)
	printNonEmpty(w, " Server Version:", info.ServerVersion)
	printNonEmpty(w, " Storage Driver:", info.Driver)
	for _, pair := range info.DriverStatus {
		_, _ = fmt.Fprintf(w, "  %s: %s\n", pair[0], pair[1])
	}
	for _, pair := range info.SystemStatus {
		_, _ = fmt.Fprintf(w, " %s: %s\n", pair[0], pair[1])
	}
	printNonEmpty(w, " Logging Driver:", info.LoggingDriver)
	printNonEmpty(w, " Cgroup Driver:", info.CgroupDriver)
	printNonEmpty(w, " Cgroup Version:", info.CgroupVersion)
	p(" Plugins:")
	p("  Volume:", strings.Join(info.Plugins.Volume, " "))
	p("  Network:", strings.Join(info.Plugins.Network, " "))
	if len(info.Plugins.Authorization) > 0 {
		p("  Authorization:", strings.Join(info.Plugins.Authorization, " "))
	}
	p("  Log:", strings.Join(info.Plugins.Log, " "))
	if len(info.CDISpecDirs) > 0 {
		p(" CDI spec directories:")
		for _, dir := range info.CDISpecDirs {
			p("  " + dir)
		}
	}
	p(" Swarm:", info.Swarm.LocalNodeState)
	writeSwarmInfo(w, info.Swarm)
	if len(info.Runtimes) > 0 {
		p(" Runtimes:", strings.Join(slices.Sorted(maps.Keys(info.Runtimes)), " "))
		p(" Default Runtime:", info.DefaultRuntime)
	}
	var err error
	if info.OSType == "linux" {
		p(" Init Binary:", info.InitBinary)
		p(" containerd version:", info.ContainerdCommit.ID)
		p(" runc version:", info.RuncCommit.ID)
		p(" init version:", info.InitCommit.ID)
		err = writeSecurityOptions(w, info.SecurityOptions)
	}
	if info.OSType == "windows" {
		p(" Default Isolation:", info.Isolation)
	}
	printNonEmpty(w, " Kernel Version:", info.KernelVersion)
	printNonEmpty(w, " Operating System:", info.OperatingSystem)
	printNonEmpty(w, " OSType:", info.OSType)
	printNonEmpty(w, " Architecture:", info.Architecture)
	p(" CPUs:", info.NCPU)
	p(" Total Memory:", units.BytesSize(float64(info.MemTotal)))
	printNonEmpty(w, " Name:", info.Name)
	printNonEmpty(w, " ID:", info.ID)
	p(" Docker Root Dir:", info.DockerRootDir)
	p(" Debug Mode:", info.Debug)
	if info.Debug || clientDebug {
		p("  File Descriptors:", info.NFd)
		p("  Goroutines:", info.NGoroutines)
		p("  System Time:", info.SystemTime)
		p("  EventsListeners:", info.NEventsListener)
	}
	printNonEmpty(w, " HTTP Proxy:", info.HTTPProxy)
	printNonEmpty(w, " HTTPS Proxy:", info.HTTPSProxy)
	printNonEmpty(w, " No Proxy:", info.NoProxy)
	if len(info.Labels) > 0 {
		p(" Labels:")
		for _, l := range info.Labels {
			p("  " + l)
		}
	}
	p(" Experimental:", info.ExperimentalBuild)
	writeRegistryInfo(w, info)
	p(" Live Restore Enabled:", info.LiveRestoreEnabled)
	if info.ProductLicense != "" {
		p(" Product License:", info.ProductLicense)
	}
	if len(info.DefaultAddressPools) > 0 {
		p(" Default Address Pools:")
		for _, pool := range info.DefaultAddressPools {
			_, _ = fmt.Fprintf(w, "   Base: %s, Size: %d\n", pool.Base, pool.Size)
		}
	}
	p()
	for _, warning := range info.Warnings {
		_, _ = fmt.Fprintln(errOut, warning)
	}
	return err
}

// writeSecurityOptions prints the daemon's security options, which come as
// "name=seccomp,profile=default".
func writeSecurityOptions(w io.Writer, opts []string) error {
	if len(opts) == 0 {
		return nil
	}
	type option struct {
		name    string
		profile string
	}
	var decoded []option
	for _, opt := range opts {
		var o option
		for _, kv := range strings.Split(opt, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("invalid security option %q", kv)
			}
			if k == "" || v == "" {
				return errors.New("invalid empty security option")
			}
			switch k {
			case "name":
				o.name = v
			case "profile":
				o.profile = v
			}
		}
		decoded = append(decoded, o)
	}
	_, _ = fmt.Fprintln(w, " Security Options:")
	for _, o := range decoded {
		_, _ = fmt.Fprintln(w, "  "+o.name)
		if o.profile != "" {
			_, _ = fmt.Fprintln(w, "   Profile:", o.profile)
		}
	}
	return nil
}

func writeRegistryInfo(w io.Writer, info *system.Info) {
	rc := info.RegistryConfig
	if rc == nil {
		return
	}
	if len(rc.InsecureRegistryCIDRs) > 0 || len(rc.IndexConfigs) > 0 {
		_, _ = fmt.Fprintln(w, " Insecure Registries:")
		for _, name := range slices.Sorted(maps.Keys(rc.IndexConfigs)) {
			if ic := rc.IndexConfigs[name]; ic != nil && !ic.Secure {
				_, _ = fmt.Fprintln(w, "  "+ic.Name)
			}
		}
		for _, cidr := range rc.InsecureRegistryCIDRs {
			_, _ = fmt.Fprintln(w, "  "+cidr.String())
		}
	}
	if len(rc.Mirrors) > 0 {
		_, _ = fmt.Fprintln(w, " Registry Mirrors:")
		for _, m := range rc.Mirrors {
			_, _ = fmt.Fprintln(w, "  "+m)
		}
	}
}

// writeSwarmInfo prints the few swarm fields of a node that takes part in
// one; berthd never does.
func writeSwarmInfo(w io.Writer, s swarm.Info) {
	if s.LocalNodeState == swarm.LocalNodeStateInactive || s.LocalNodeState == swarm.LocalNodeStateLocked {
		return
	}
	_, _ = fmt.Fprintln(w, "  NodeID:", s.NodeID)
	if s.Error != "" {
		_, _ = fmt.Fprintln(w, "  Error:", s.Error)
	}
	_, _ = fmt.Fprintln(w, "  Is Manager:", s.ControlAvailable)
	_, _ = fmt.Fprintln(w, "  Node Address:", s.NodeAddr)
}

func printNonEmpty(w io.Writer, label, value string) {
	if value != "" {
		_, _ = fmt.Fprintln(w, label, value)
	}
}
