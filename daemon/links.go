package daemon

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth/berth/container"
	"github.com/berth/berth/network"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	networktypes "github.com/moby/moby/api/types/network"
)

// Legacy links (--link) as Docker has them. On the default bridge a link
// is kept in HostConfig.Links as "<target-id>:<alias>", so that it follows
// the target through a rename and ends with its removal; at start it gives
// the linker an /etc/hosts line and environment variables for the target.
// On a user-defined network a link is an alias that the linker's own
// embedded resolver answers (EndpointSettings.Links, see endpointOptions).

// parseLink splits "name[:alias]" (or "/name:/linker/alias", the form
// inspect shows) into the target's name and the alias, as Docker does.
func parseLink(s string) (name, alias string, err error) {
	if s == "" {
		return "", "", errdefs.ErrInvalidArgument.WithMessage("empty string specified for links")
	}
	parts := strings.SplitN(s, ":", 3)
	switch {
	case len(parts) > 2:
		return "", "", errdefs.ErrInvalidArgument.WithMessage("bad format for links: " + s)
	case len(parts) == 1:
		return s, s, nil
	case strings.HasPrefix(parts[0], "/"):
		_, alias := path.Split(parts[1])
		return parts[0][1:], alias, nil
	}
	return parts[0], parts[1], nil
}

// registerLinks checks the links of a container being created and returns
// them as kept: by target ID on the default bridge; none in a user-defined
// network mode, where Docker ignores HostConfig.Links (the CLI also sends
// them as the network's EndpointSettings.Links).
func (cs *Containers) registerLinks(hc *containertypes.HostConfig) ([]string, error) {
	if len(hc.Links) == 0 {
		return nil, nil
	}
	switch m := hc.NetworkMode; {
	case m.IsHost():
		return nil, errdefs.ErrInvalidArgument.WithMessage("conflicting options: host type networking can't be used with links. This would result in undefined behavior")
	case m.IsContainer():
		return nil, errdefs.ErrInvalidArgument.WithMessage("conflicting options: container type network can't be used with links. This would result in undefined behavior")
	case m != "" && m.IsUserDefined(): // "" is the default bridge
		return nil, nil
	}
	var out []string
	for _, l := range hc.Links {
		name, alias, err := parseLink(l)
		if err != nil {
			return nil, err
		}
		target, err := cs.linkTarget(name)
		if err != nil {
			return nil, err
		}
		out = append(out, target.ID+":"+alias)
	}
	return out, nil
}

// linkTarget is the container a link names; one sharing another's network
// namespace stands for that one, as in Docker.
func (cs *Containers) linkTarget(name string) (*container.Container, error) {
	ref := name
	for range 16 { // a chain of container: modes, bounded
		c, err := cs.store.Get(ref)
		if err != nil {
			if errdefs.IsNotFound(err) { // a 404 would make the CLI pull the image
				return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("could not get container for %s: %s", ref, err))
			}
			return nil, err
		}
		c.Lock()
		mode := c.HostConfig.NetworkMode
		c.Unlock()
		switch {
		case mode.IsHost():
			return nil, errdefs.ErrInvalidArgument.WithMessage("conflicting options: host type networking can't be used with links. This would result in undefined behavior")
		case mode.IsContainer():
			ref = mode.ConnectedContainer()
			continue
		}
		return c, nil
	}
	return nil, errdefs.ErrInvalidArgument.WithMessage("could not get container for " + name + ": too many containers sharing network namespaces")
}

// link is a legacy link resolved at the linker's start.
type link struct {
	name     string // "/linker/alias", the link's full name
	alias    string
	target   string // the target's name without "/"
	hostname string
	ip       string
	env      []string
	ports    []networktypes.Port
}

// startLinks resolves the default-bridge links of a starting container
// whose endpoints are made: every target still there must run on the
// default bridge. Links to removed containers are gone, as with Docker.
func (cs *Containers) startLinks(c *container.Container) ([]link, error) {
	return cs.resolveLinks(c, true)
}

// resolveLinks resolves c's default-bridge links; unless strict, it
// leaves out the ones whose target does not run on the bridge.
func (cs *Containers) resolveLinks(c *container.Container, strict bool) ([]link, error) {
	c.Lock()
	refs, linker := c.HostConfig.Links, c.Name
	_, onBridge := c.Endpoints[networktypes.NetworkBridge]
	c.Unlock()
	if !onBridge {
		return nil, nil
	}
	var out []link
	for _, ref := range refs {
		id, alias, ok := strings.Cut(ref, ":")
		if !ok {
			continue
		}
		t, err := cs.store.Get(id)
		if err != nil {
			continue
		}
		l, err := resolveLink(t, linker+"/"+alias, alias)
		if err != nil && strict {
			return nil, err
		}
		if err != nil {
			continue
		}
		out = append(out, l)
	}
	return out, nil
}

func resolveLink(t *container.Container, name, alias string) (link, error) {
	t.Lock()
	defer t.Unlock()
	if !t.State.IsRunning() {
		return link{}, fmt.Errorf("Cannot link to a non running container: %s AS %s", t.Name, name)
	}
	ep := t.Endpoints[networktypes.NetworkBridge]
	if ep == nil && t.Endpoint != nil && t.Endpoint.NetworkName == networktypes.NetworkBridge {
		ep = t.Endpoint
	}
	if ep == nil {
		return link{}, fmt.Errorf("Cannot link to %s, as it does not belong to the default network", t.Name)
	}
	l := link{name: name, alias: alias, target: strings.TrimPrefix(t.Name, "/"), hostname: t.Config.Hostname,
		ip: ep.IPAddress, env: slices.Clone(t.Config.Env)}
	for p := range t.Config.ExposedPorts {
		l.ports = append(l.ports, p)
	}
	return l, nil
}

// linkHosts are the /etc/hosts lines of the links: the alias, the
// target's hostname, and its name unless that is the alias.
func linkHosts(links []link) []network.HostEntry {
	var out []network.HostEntry
	for _, l := range links {
		names := []string{l.alias, l.hostname}
		if l.alias != l.target {
			names = append(names, l.target)
		}
		out = append(out, network.HostEntry{Addr: l.ip, Names: names})
	}
	return out
}

// linkEnv is the links' environment as Docker sets it: <ALIAS>_PORT for
// the first exposed port, <ALIAS>_PORT_<n>_<PROTO>{,_ADDR,_PORT,_PROTO} for
// each, _START/_END for runs of consecutive ports, <ALIAS>_NAME, and
// <ALIAS>_ENV_<var> for the target's variables (HOME and PATH left out).
func linkEnv(links []link) []string {
	var env []string
	for _, l := range links {
		env = append(env, l.envVars()...)
	}
	return env
}

func (l link) envVars() []string {
	alias := strings.ReplaceAll(strings.ToUpper(l.alias), "-", "_")
	ports := slices.Clone(l.ports)
	slices.SortFunc(ports, tcpFirst)
	var env []string
	url := func(p networktypes.Port) string { return fmt.Sprintf("%s://%s:%d", p.Proto(), l.ip, p.Num()) }
	prefix := func(p networktypes.Port) string {
		return fmt.Sprintf("%s_PORT_%d_%s", alias, p.Num(), strings.ToUpper(string(p.Proto())))
	}
	// A run of consecutive ports of one protocol also gets _START and _END,
	// written once the run has ended (after the next port's variables), as
	// Docker writes them.
	var first, last networktypes.Port
	for i, p := range ports {
		if i == 0 {
			first, last = p, p
			env = append(env, alias+"_PORT="+url(p))
		}
		env = append(env, prefix(p)+"="+url(p), prefix(p)+"_ADDR="+l.ip,
			fmt.Sprintf("%s_PORT=%d", prefix(p), p.Num()), fmt.Sprintf("%s_PROTO=%s", prefix(p), p.Proto()))
		if p.Proto() == last.Proto() && p.Num() == last.Num()+1 {
			last = p
			if i < len(ports)-1 {
				continue
			}
		}
		if first != last {
			env = append(env, prefix(first)+"_START="+url(first), fmt.Sprintf("%s_PORT_START=%d", prefix(first), first.Num()),
				prefix(first)+"_END="+url(last), fmt.Sprintf("%s_PORT_END=%d", prefix(first), last.Num()))
		}
		first, last = p, p
	}
	env = append(env, alias+"_NAME="+l.name)
	for _, kv := range l.env {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "HOME" && k != "PATH" {
			env = append(env, alias+"_ENV_"+k+"="+v)
		}
	}
	return env
}

// tcpFirst orders ports by protocol, TCP first, then by number.
func tcpFirst(a, b networktypes.Port) int {
	if a.Proto() == b.Proto() {
		return cmp.Compare(a.Num(), b.Num())
	}
	if a.Proto() == networktypes.TCP {
		return -1
	}
	if b.Proto() == networktypes.TCP {
		return 1
	}
	return cmp.Compare(a.Proto(), b.Proto())
}

// inspectLinks is HostConfig.Links as Docker shows it:
// "/target:/linker/alias" for each link whose target is still there.
func (cs *Containers) inspectLinks(linker string, links []string) []string {
	var out []string
	for _, ref := range links {
		id, alias, ok := strings.Cut(ref, ":")
		if !ok {
			continue
		}
		if t, err := cs.store.Get(id); err == nil {
			t.Lock() // never c: a link's target exists before its linker
			out = append(out, t.Name+":"+linker+"/"+alias)
			t.Unlock()
		}
	}
	return out
}

// endpointLinks are a user-defined network's links as the resolver takes
// them: alias -> target name.
func endpointLinks(es *networktypes.EndpointSettings) (map[string]string, error) {
	if es == nil || len(es.Links) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, l := range es.Links {
		name, alias, err := parseLink(l)
		if err != nil {
			return nil, err
		}
		out[alias] = name
	}
	return out, nil
}

// RemoveLink answers DELETE /containers/{linker/alias}?link=1: the linker
// loses the link and, if it runs, its /etc/hosts line (its environment
// stays until its next start); the target stays, as with Docker.
func (cs *Containers) RemoveLink(ref string) error {
	full := "/" + strings.TrimPrefix(ref, "/")
	parent, alias := path.Split(full)
	if parent == "/" {
		return errdefs.ErrConflict.WithMessage("Conflict, cannot remove the default link name of the container")
	}
	p, err := cs.store.Get(strings.TrimSuffix(parent, "/"))
	if err != nil {
		return errdefs.ErrNotFound.WithMessage("No such container: " + ref)
	}
	if err := cs.dropLink(p, alias, full); err != nil {
		return err
	}
	cs.refreshHosts(p)
	return nil
}

func (cs *Containers) dropLink(p *container.Container, alias, full string) error {
	p.Lock()
	defer p.Unlock()
	links := slices.DeleteFunc(slices.Clone(p.HostConfig.Links), func(l string) bool {
		_, a, _ := strings.Cut(l, ":")
		return a == alias
	})
	if len(links) == len(p.HostConfig.Links) {
		return errdefs.ErrNotFound.WithMessage("No such container: " + strings.TrimPrefix(full, "/"))
	}
	if len(links) == 0 {
		links = nil // inspect shows null, as Docker
	}
	p.HostConfig.Links = links
	if err := cs.store.Save(p); err != nil {
		return errors.Join(errors.New("removing link "+full), err)
	}
	return nil
}

// hostConfigOf is c's HostConfig as inspect shows it, with Docker's links.
// The caller holds c's lock.
func (cs *Containers) hostConfigOf(c *container.Container) *containertypes.HostConfig {
	if len(c.HostConfig.Links) == 0 {
		return c.HostConfig
	}
	hc := *c.HostConfig
	hc.Links = cs.inspectLinks(c.Name, hc.Links)
	return &hc
}

// refreshLinkers rewrites the /etc/hosts of the running containers linked
// to target, which has just started with a new address, as Docker does.
func (cs *Containers) refreshLinkers(target string) {
	for _, c := range cs.store.List() {
		c.Lock()
		linked := c.State.IsRunning() && slices.ContainsFunc(c.HostConfig.Links, func(l string) bool { return strings.HasPrefix(l, target+":") })
		c.Unlock()
		if linked {
			cs.refreshHosts(c)
		}
	}
}

// refreshHosts rewrites the /etc/hosts of a running container on the
// default bridge with its links as they are now (in place: the file is
// bind-mounted into the container).
func (cs *Containers) refreshHosts(c *container.Container) {
	c.Lock()
	ep, running := c.Endpoints[networktypes.NetworkBridge], c.State.IsRunning()
	hc, hostname, domain := c.HostConfig, c.Config.Hostname, c.Config.Domainname
	c.Unlock()
	if ep == nil || !running {
		return
	}
	links, _ := cs.resolveLinks(c, false)
	extra, err := cs.extraHosts(hc.ExtraHosts)
	if err == nil {
		hosts := network.Hosts(append(extra, linkHosts(links)...), ep.IPAddress, hostname, domain)
		err = os.WriteFile(filepath.Join(cs.store.Dir(c.ID), "hosts"), []byte(hosts), 0o644)
	}
	if err != nil {
		cs.log.Warn("updating /etc/hosts for links", "container", c.ID, "err", err)
	}
}

// linkNames are the link names of each linked container ("/linker/alias"),
// which the container list shows among its names, as Docker does.
func (cs *Containers) linkNames() map[string][]string {
	names := map[string][]string{}
	for _, c := range cs.store.List() {
		c.Lock()
		for _, l := range c.HostConfig.Links {
			if id, alias, ok := strings.Cut(l, ":"); ok {
				names[id] = append(names[id], c.Name+"/"+alias)
			}
		}
		c.Unlock()
	}
	return names
}

// withLinkNames adds a container's link names to its names, sorted as
// Docker lists them.
func withLinkNames(names, links []string) []string {
	if len(links) == 0 {
		return names
	}
	return slices.Sorted(slices.Values(append(slices.Clone(names), links...)))
}
