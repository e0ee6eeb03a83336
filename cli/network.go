package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newNetworkCommand(c *CLI) *cobra.Command {
	cmd := newGroupCommand(c, "network COMMAND", "Manage networks")
	cmd.AddCommand(
		newNetworkConnectCommand(c),
		newNetworkCreateCommand(c),
		newNetworkDisconnectCommand(c),
		newNetworkInspectCommand(c),
		newNetworkListCommand(c),
		newNetworkPruneCommand(c),
		newNetworkRemoveCommand(c),
	)
	return cmd
}

// NetworkCreateOptions are the options of "berth network create".
type NetworkCreateOptions struct {
	Name                          string
	Driver, IPAMDriver, Scope     string
	Subnets, IPRanges, Gateways   []string
	Labels, DriverOpts, IPAMOpts  []string // KEY=VALUE
	Internal, Attachable, Ingress bool
	IPv6                          bool
	IPv4                          bool
	ConfigOnly                    bool
	ConfigFrom                    string
}

func newNetworkCreateCommand(c *CLI) *cobra.Command {
	var opts NetworkCreateOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runNetworkCreate(cmd.Context(), c, opts, cmd.Flags().Changed("ipv6"), cmd.Flags().Changed("ipv4"))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Driver, "driver", "d", "bridge", "Driver to manage the Network")
	f.VarP(newListValue(&opts.DriverOpts), "opt", "o", "Set driver specific options")
	f.Var(newCheckedList(&opts.Labels, validateLabel), "label", "Set metadata on a network")
	f.BoolVar(&opts.Internal, "internal", false, "Restrict external access to the network")
	f.BoolVar(&opts.Attachable, "attachable", false, "Enable manual container attachment")
	f.BoolVar(&opts.Ingress, "ingress", false, "Create swarm routing-mesh network")
	f.StringVar(&opts.Scope, "scope", "", "Control the network's scope")
	f.BoolVar(&opts.IPv6, "ipv6", false, "Enable or disable IPv6 networking")
	f.BoolVar(&opts.IPv4, "ipv4", true, "Enable or disable IPv4 address assignment")
	f.BoolVar(&opts.ConfigOnly, "config-only", false, "Create a configuration only network")
	f.StringVar(&opts.ConfigFrom, "config-from", "", "The network from which to copy the configuration")
	f.StringVar(&opts.IPAMDriver, "ipam-driver", "default", "IP Address Management Driver")
	f.Var(newListValue(&opts.Subnets), "subnet", "Subnet in CIDR format that represents a network segment")
	f.Var(newListValue(&opts.IPRanges), "ip-range", "Allocate container ip from a sub-range")
	f.Var(newListValue(&opts.Gateways), "gateway", "IPv4 or IPv6 Gateway for the master subnet")
	f.Var(newListValue(&opts.IPAMOpts), "ipam-opt", "Set IPAM driver specific options")
	return cmd
}

func runNetworkCreate(ctx context.Context, c *CLI, opts NetworkCreateOptions, ipv6Set, ipv4Set bool) error {
	ipam, err := opts.ipamConfig()
	if err != nil {
		return err
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	o := client.NetworkCreateOptions{
		Driver: opts.Driver, Scope: opts.Scope, Internal: opts.Internal, Attachable: opts.Attachable, Ingress: opts.Ingress,
		ConfigOnly: opts.ConfigOnly, ConfigFrom: opts.ConfigFrom, Options: kvMap(opts.DriverOpts), Labels: kvMap(opts.Labels),
		IPAM: &network.IPAM{Driver: opts.IPAMDriver, Config: ipam, Options: kvMap(opts.IPAMOpts)},
	}
	if ipv6Set {
		o.EnableIPv6 = &opts.IPv6
	}
	if ipv4Set {
		o.EnableIPv4 = &opts.IPv4
	}
	res, err := api.NetworkCreate(ctx, opts.Name, o)
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintln(c.out, res.ID)
	return nil
}

// ipamConfig pairs each --ip-range and --gateway with the --subnet that
// contains it, as docker does.
func (o NetworkCreateOptions) ipamConfig() ([]network.IPAMConfig, error) {
	var cfgs []network.IPAMConfig
	for _, s := range o.Subnets {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("invalid CIDR address: %s", s)
		}
		cfgs = append(cfgs, network.IPAMConfig{Subnet: p})
	}
	place := func(values []string, what string, set func(*network.IPAMConfig, string) error) error {
		for _, v := range values {
			placed := false
			for i := range cfgs {
				if err := set(&cfgs[i], v); err == nil {
					placed = true
					break
				}
			}
			if !placed {
				return fmt.Errorf("no matching subnet for %s %s", what, v)
			}
		}
		return nil
	}
	if len(cfgs) == 0 && (len(o.IPRanges) > 0 || len(o.Gateways) > 0) {
		return nil, errors.New("every ip-range or gateway must have a corresponding subnet")
	}
	if err := place(o.IPRanges, "range", func(c *network.IPAMConfig, v string) error {
		p, err := netip.ParsePrefix(v)
		if err != nil || !c.Subnet.Contains(p.Addr()) || c.IPRange.IsValid() {
			return errors.New("no match")
		}
		c.IPRange = p
		return nil
	}); err != nil {
		return nil, err
	}
	if err := place(o.Gateways, "gateway", func(c *network.IPAMConfig, v string) error {
		a, err := netip.ParseAddr(v)
		if err != nil || !c.Subnet.Contains(a) || c.Gateway.IsValid() {
			return errors.New("no match")
		}
		c.Gateway = a
		return nil
	}); err != nil {
		return nil, err
	}
	return cfgs, nil
}

func newNetworkInspectCommand(c *CLI) *cobra.Command {
	var format string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NETWORK [NETWORK...]",
		Short: "Display detailed information on one or more networks",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			return writeInspect(c.out, args, format, func(ref string) (any, []byte, error) {
				res, err := api.NetworkInspect(cmd.Context(), ref, client.NetworkInspectOptions{Verbose: verbose})
				return res.Network, res.Raw, err
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", inspectFormatHelp)
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "Verbose output for diagnostics")
	return cmd
}

// NetworkConnectOptions are the options of "berth network connect".
type NetworkConnectOptions struct {
	Network, Container string
	Aliases            []string
	IPv4, IPv6         string
	Links              []string
	DriverOpts         []string
}

func newNetworkConnectCommand(c *CLI) *cobra.Command {
	var opts NetworkConnectOptions
	cmd := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Network, opts.Container = args[0], args[1]
			return runNetworkConnect(cmd.Context(), c, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.IPv4, "ip", "", "IPv4 address (e.g., \"172.30.100.104\")")
	f.StringVar(&opts.IPv6, "ip6", "", "IPv6 address (e.g., \"2001:db8::33\")")
	f.Var(newListValue(&opts.Links), "link", "Add link to another container")
	f.Var(newListValue(&opts.Aliases), "alias", "Add network-scoped alias for the container")
	f.Var(newListValue(&opts.DriverOpts), "driver-opt", "driver options for the network")
	return cmd
}

func runNetworkConnect(ctx context.Context, c *CLI, opts NetworkConnectOptions) error {
	es := &network.EndpointSettings{Aliases: opts.Aliases, Links: opts.Links, DriverOpts: kvMap(opts.DriverOpts)}
	if opts.IPv4 != "" || opts.IPv6 != "" {
		es.IPAMConfig = &network.EndpointIPAMConfig{}
		for _, a := range []struct {
			value string
			dst   *netip.Addr
		}{{opts.IPv4, &es.IPAMConfig.IPv4Address}, {opts.IPv6, &es.IPAMConfig.IPv6Address}} {
			if a.value == "" {
				continue
			}
			addr, err := netip.ParseAddr(a.value)
			if err != nil {
				return fmt.Errorf("invalid IP address: %s", a.value)
			}
			*a.dst = addr
		}
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	_, err = api.NetworkConnect(ctx, opts.Network, client.NetworkConnectOptions{Container: opts.Container, EndpointConfig: es})
	return err
}

func newNetworkDisconnectCommand(c *CLI) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "disconnect [OPTIONS] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			_, err = api.NetworkDisconnect(cmd.Context(), args[0], client.NetworkDisconnectOptions{Container: args[1], Force: force})
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the container to disconnect from a network")
	return cmd
}

func newNetworkRemoveCommand(c *CLI) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNetworkRemove(cmd.Context(), c, args, force)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not error if the network does not exist")
	return cmd
}

// runNetworkRemove removes each network, printing its name; failures are
// reported together at the end (a missing one is no failure with force).
func runNetworkRemove(ctx context.Context, c *CLI, names []string, force bool) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	var errs []string
	for _, name := range names {
		if _, err := api.NetworkRemove(ctx, name, client.NetworkRemoveOptions{}); err != nil {
			if force && cerrdefs.IsNotFound(err) {
				continue
			}
			errs = append(errs, err.Error())
			continue
		}
		_, _ = fmt.Fprintln(c.out, name)
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

const networkPruneWarning = `WARNING! This will remove all custom networks not used by at least one container.
Are you sure you want to continue?`

func newNetworkPruneCommand(c *CLI) *cobra.Command {
	var force bool
	filters := newFilterValue()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force && !confirm(c.in, c.out, networkPruneWarning) {
				return cancelledError{errors.New("network prune has been cancelled")}
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.NetworkPrune(cmd.Context(), client.NetworkPruneOptions{Filters: filters.value()})
			if err != nil {
				return err
			}
			if len(res.Report.NetworksDeleted) > 0 {
				_, _ = fmt.Fprintln(c.out, "Deleted Networks:")
				for _, n := range res.Report.NetworksDeleted {
					_, _ = fmt.Fprintln(c.out, n)
				}
			}
			return nil
		},
	}
	cmd.Flags().Var(filters, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	return cmd
}
