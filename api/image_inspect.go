package api

import (
	"encoding/json"

	"github.com/moby/moby/api/types/image"
)

// legacyConfigDefaults are the container-config fields that image inspect
// always carried before API 1.50, empty or not; clients written against
// those versions index them without checking.
var legacyConfigDefaults = map[string]any{
	"Hostname": "", "Domainname": "", "User": "", "AttachStdin": false, "AttachStdout": false,
	"AttachStderr": false, "Tty": false, "OpenStdin": false, "StdinOnce": false, "Env": nil, "Cmd": nil,
	"Image": "", "Volumes": nil, "WorkingDir": "", "Entrypoint": nil, "OnBuild": nil, "Labels": nil,
}

// ImageInspectAt returns the body of GET /images/{name}/json for API version
// v: the current shape, plus the fields older versions always sent (Parent,
// the local parent image of a commit or build step, "" if none; Comment,
// DockerVersion, Author, the full Config; before 1.44 also Container,
// ContainerConfig and VirtualSize).
func ImageInspectAt(resp image.InspectResponse, parent, v string) (any, error) {
	if !VersionLess(v, "1.50") {
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
	m["Parent"] = parent
	for _, k := range []string{"Comment", "DockerVersion", "Author"} {
		if _, ok := m[k]; !ok {
			m[k] = ""
		}
	}
	cfg, _ := m["Config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	fillDefaults(cfg)
	m["Config"] = cfg
	if VersionLess(v, "1.44") {
		m["Container"] = ""
		containerConfig := map[string]any{}
		fillDefaults(containerConfig)
		m["ContainerConfig"] = containerConfig
		m["VirtualSize"] = m["Size"]
	}
	return m, nil
}

func fillDefaults(cfg map[string]any) {
	for k, def := range legacyConfigDefaults {
		if _, ok := cfg[k]; !ok {
			cfg[k] = def
		}
	}
}
