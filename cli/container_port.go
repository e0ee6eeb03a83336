package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPortCommand(c *CLI) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  requiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			port := ""
			if len(args) > 1 {
				port = args[1]
			}
			return runPort(cmd.Context(), c, args[0], port)
		},
	}
	withAliases(cmd, "berth container port", "berth port")
	return cmd
}

// runPort prints the published ports of a container, worked out from
// inspect like docker does.
func runPort(ctx context.Context, c *CLI, name, port string) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	var ports network.PortMap
	if ns := res.Container.NetworkSettings; ns != nil {
		ports = ns.Ports
	}
	return writePorts(c.out, ports, name, port)
}

// writePorts prints "80/tcp -> 0.0.0.0:8080" lines, or for one port only
// its host addresses, sorted naturally.
func writePorts(w io.Writer, ports network.PortMap, name, port string) error {
	var out []string
	if port != "" {
		num, proto, _ := strings.Cut(port, "/")
		if proto == "" {
			proto = "tcp"
		}
		if _, err := strconv.ParseUint(num, 10, 16); err != nil {
			return fmt.Errorf("Error: invalid port (%s): %w", num, err)
		}
		p, _ := network.ParsePort(num + "/" + proto)
		if len(ports[p]) == 0 {
			return fmt.Errorf("Error: No public port '%s' published for %s", port, name)
		}
		for _, b := range ports[p] {
			out = append(out, hostAddress(b))
		}
	} else {
		for p, bindings := range ports {
			for _, b := range bindings {
				out = append(out, fmt.Sprintf("%s -> %s", p, hostAddress(b)))
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool { return naturalLess(out[i], out[j]) })
	_, err := fmt.Fprintln(w, strings.Join(out, "\n"))
	return err
}

func hostAddress(b network.PortBinding) string {
	ip := ""
	if b.HostIP.IsValid() {
		ip = b.HostIP.String()
	}
	return net.JoinHostPort(ip, b.HostPort)
}

// naturalLess compares strings with runs of digits compared as numbers.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da != "" && db != "" {
			na, _ := strconv.ParseUint(da, 10, 64)
			nb, _ := strconv.ParseUint(db, 10, 64)
			if na != nb {
				return na < nb
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
