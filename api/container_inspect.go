package api

import (
	"encoding/json"

	"github.com/moby/moby/api/types/container"
)

// ContainerInspectAt returns the body of GET /containers/{id}/json for API
// version v. Before 1.52, NetworkSettings also carried the default bridge
// endpoint's fields at its top level (`{{.NetworkSettings.IPAddress}}` in
// many scripts); moby's api module only has the new shape.
func ContainerInspectAt(resp container.InspectResponse, v string) (any, error) {
	if !VersionLess(v, "1.52") || resp.NetworkSettings == nil {
		return resp, nil
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	ns, _ := m["NetworkSettings"].(map[string]any)
	legacy := map[string]any{
		"Bridge": "", "HairpinMode": false, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
		"SecondaryIPAddresses": nil, "SecondaryIPv6Addresses": nil, "EndpointID": "", "Gateway": "",
		"GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "", "MacAddress": "",
	}
	if nets, ok := ns["Networks"].(map[string]any); ok {
		if bridge, ok := nets["bridge"].(map[string]any); ok {
			for _, k := range []string{"EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "MacAddress"} {
				if v, ok := bridge[k]; ok {
					legacy[k] = v
				}
			}
		}
	}
	for k, v := range legacy {
		if _, ok := ns[k]; !ok {
			ns[k] = v
		}
	}
	return m, nil
}
