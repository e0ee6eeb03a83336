package cli

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
)

// parsePublish turns -p values into the exposed ports and port bindings of
// a container, as docker does: "[ip:][hostPort:]containerPort[/proto]"
// with ranges ("8000-8010:80-90"), bracketed IPv6 addresses, and the long
// form "published=8080,target=80,protocol=udp".
func parsePublish(specs []string) (network.PortSet, network.PortMap, error) {
	exposed := network.PortSet{}
	bindings := network.PortMap{}
	for _, spec := range specs {
		if strings.Contains(spec, "=") {
			var err error
			if spec, err = publishLongForm(spec); err != nil {
				return nil, nil, err
			}
		}
		mappings, err := parsePortSpec(spec)
		if err != nil {
			return nil, nil, err
		}
		for _, m := range mappings {
			exposed[m.port] = struct{}{}
			bindings[m.port] = append(bindings[m.port], m.binding)
		}
	}
	return exposed, bindings, nil
}

// publishLongForm converts "published=8080,target=80" to "8080:80/tcp".
func publishLongForm(spec string) (string, error) {
	params := map[string]string{"protocol": "tcp"}
	for _, param := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(param, "=")
		if !ok || k == "" {
			return "", fmt.Errorf("invalid publish opts format (should be name=value but got '%s')", param)
		}
		params[k] = v
	}
	return fmt.Sprintf("%s:%s/%s", params["published"], params["target"], params["protocol"]), nil
}

type portMapping struct {
	port    network.Port
	binding network.PortBinding
}

// splitPortSpec splits "ip:hostPort:containerPort"; the IP may itself
// contain colons.
func splitPortSpec(spec string) (ip, hostPort, containerPort string) {
	parts := strings.Split(spec, ":")
	n := len(parts)
	switch n {
	case 1:
		return "", "", parts[0]
	case 2:
		return "", parts[0], parts[1]
	default:
		return strings.Join(parts[:n-2], ":"), parts[n-2], parts[n-1]
	}
}

func parsePortSpec(spec string) ([]portMapping, error) {
	rawIP, hostPort, containerPort := splitPortSpec(spec)
	containerPort, proto, _ := strings.Cut(containerPort, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	ip, err := parsePublishIP(rawIP)
	if err != nil {
		return nil, err
	}
	if containerPort == "" {
		return nil, fmt.Errorf("no port specified: %s<empty>", spec)
	}
	start, end, err := parsePortRange(containerPort)
	if err != nil {
		return nil, errors.New("invalid containerPort: " + containerPort)
	}
	var hostStart, hostEnd uint64
	if hostPort != "" {
		if hostStart, hostEnd, err = parsePortRange(hostPort); err != nil {
			return nil, errors.New("invalid hostPort: " + hostPort)
		}
		// a host range with a single container port is a range to
		// allocate from; otherwise both ranges must be as long
		if end-start != hostEnd-hostStart && end != start {
			return nil, fmt.Errorf("invalid ranges specified for container and host Ports: %s and %s", containerPort, hostPort)
		}
	}
	switch proto {
	case "tcp", "udp", "sctp":
	default:
		return nil, errors.New("invalid proto: " + proto)
	}
	count := end - start + 1
	mappings := make([]portMapping, 0, count)
	for i := range count {
		port, _ := network.PortFrom(uint16(start+i), network.IPProtocol(proto))
		binding := network.PortBinding{HostIP: ip}
		if hostPort != "" {
			binding.HostPort = strconv.FormatUint(hostStart+i, 10)
			if count == 1 && hostStart != hostEnd {
				binding.HostPort += "-" + strconv.FormatUint(hostEnd, 10)
			}
		}
		mappings = append(mappings, portMapping{port: port, binding: binding})
	}
	return mappings, nil
}

func parsePublishIP(raw string) (netip.Addr, error) {
	if raw == "" {
		return netip.Addr{}, nil
	}
	if raw[0] == '[' {
		host, _, err := net.SplitHostPort(raw + ":")
		if err != nil {
			return netip.Addr{}, fmt.Errorf("invalid IP address %v: %w", raw, err)
		}
		raw = host
	}
	ip, err := netip.ParseAddr(raw)
	if err != nil {
		return netip.Addr{}, errors.New("invalid IP address: " + raw)
	}
	return ip, nil
}

// parsePortRange parses "80" or "8000-8010".
func parsePortRange(s string) (uint64, uint64, error) {
	first, last, isRange := strings.Cut(s, "-")
	start, err := strconv.ParseUint(first, 10, 16)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return start, start, nil
	}
	end, err := strconv.ParseUint(last, 10, 16)
	if err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, errors.New("invalid range specified")
	}
	return start, end, nil
}

// parseExpose adds --expose values ("80", "8000-8010/udp") to exposed.
func parseExpose(exposed network.PortSet, values []string) error {
	for _, e := range values {
		if strings.Contains(e, ":") {
			return fmt.Errorf("invalid port format for --expose: %s", e)
		}
		pr, err := network.ParsePortRange(e)
		if err != nil {
			return fmt.Errorf("invalid range format for --expose: %s, error: %w", e, err)
		}
		for p := range pr.All() {
			exposed[p] = struct{}{}
		}
	}
	return nil
}
