package spec

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// securityOpts is HostConfig.SecurityOpt, parsed as dockerd parses it.
type securityOpts struct {
	noNewPrivileges bool
	// seccomp is "" (the default), "unconfined", "builtin" (the default,
	// explicitly) or a profile's JSON (the CLI sends the file's content).
	seccomp         string
	writableCgroups *bool
}

// parseSecurityOpts accepts Docker's options. There is no SELinux or
// AppArmor on Berth's hosts: "label=..." and "apparmor=..." are accepted and
// have no effect, as in dockerd on such a host.
func parseSecurityOpts(opts []string) (securityOpts, error) {
	var so securityOpts
	for _, opt := range opts {
		switch opt {
		case "no-new-privileges":
			so.noNewPrivileges = true
			continue
		case "writable-cgroups":
			so.writableCgroups = boolPtr(true)
			continue
		case "disable":
			continue
		}
		k, v, ok := strings.Cut(opt, "=")
		if !ok {
			k, v, ok = strings.Cut(opt, ":") // deprecated separator, still accepted
		}
		if !ok {
			return so, invalidf("invalid --security-opt 1: %q", opt)
		}
		if err := so.set(k, v); err != nil {
			return so, invalidf("invalid --security-opt 2: %q", opt)
		}
	}
	return so, nil
}

func (so *securityOpts) set(key, value string) error {
	switch key {
	case "label", "apparmor":
		return nil
	case "seccomp":
		so.seccomp = value
		return nil
	case "no-new-privileges":
		b, err := strconv.ParseBool(value)
		so.noNewPrivileges = b
		return err
	case "writable-cgroups":
		b, err := strconv.ParseBool(value)
		so.writableCgroups = &b
		return err
	}
	return fmt.Errorf("unknown security option %q", key)
}

// seccompProfile returns the container's filter: none when unconfined or
// privileged (unless a profile is given), else Docker's default profile or
// the given one. s.Process.Capabilities must be set: the default profile
// allows some syscalls only with the capability that guards them.
func seccompProfile(s *specs.Spec, so securityOpts, privileged bool) (*specs.LinuxSeccomp, error) {
	switch {
	case so.seccomp == "unconfined", privileged && so.seccomp == "":
		return nil, nil
	case so.seccomp == "" || so.seccomp == "builtin":
		return seccomp.GetDefaultProfile(s)
	}
	p, err := seccomp.LoadProfile(so.seccomp, s)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	return p, nil
}

func boolPtr(b bool) *bool { return &b }
