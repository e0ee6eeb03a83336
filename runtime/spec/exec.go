package spec

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// ExecProcess builds the process of a `docker exec` in the container whose
// spec is base, as dockerd does: it starts from the container's process
// (user, env, working directory, capabilities, rlimits, no-new-privileges)
// and applies the exec's Cmd, User (resolved in rootfs, with the
// container's GroupAdd), WorkingDir, Env (replacing or appending), Tty and
// ConsoleSize. Privileged gives all capabilities. HOME follows the exec's
// user and TERM=xterm its TTY unless the container set them in its Env.
func ExecProcess(base *specs.Spec, rootfs string, ex container.ExecCreateRequest) (*specs.Process, error) {
	if base == nil || base.Process == nil {
		return nil, invalidf("spec: exec needs the container's spec")
	}
	if len(ex.Cmd) == 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage("No exec command specified")
	}
	if ex.WorkingDir != "" && !filepath.IsAbs(ex.WorkingDir) {
		return nil, invalidf("the working directory '%s' is invalid, it needs to be an absolute path", ex.WorkingDir)
	}
	p, err := cloneProcess(base.Process)
	if err != nil {
		return nil, err
	}
	p.Args = slices.Clone(ex.Cmd)
	p.Terminal = ex.Tty
	p.ConsoleSize = nil
	if ex.Tty && ex.ConsoleSize != nil {
		p.ConsoleSize = &specs.Box{Height: ex.ConsoleSize[0], Width: ex.ConsoleSize[1]}
	}
	if ex.WorkingDir != "" {
		p.Cwd = filepath.Clean(ex.WorkingDir)
	}
	defaulted := strings.Split(base.Annotations[annotationDefaultEnv], ",")
	home := ""
	if slices.Contains(defaulted, "HOME") {
		home = envValue(p.Env, "HOME")
	}
	if ex.User != "" {
		if p.User, home, err = execUser(base, rootfs, ex.User); err != nil {
			return nil, err
		}
	}
	p.Env = execEnv(p.Env, defaulted, ex, home)
	if ex.Privileged {
		available, err := availableCaps()
		if err != nil {
			return nil, err
		}
		p.Capabilities = capSet(available)
	}
	return p, nil
}

func execUser(base *specs.Spec, rootfs, user string) (specs.User, string, error) {
	var groupAdd []string
	if a := base.Annotations[annotationGroupAdd]; a != "" {
		if err := json.Unmarshal([]byte(a), &groupAdd); err != nil {
			return specs.User{}, "", invalidf("spec: annotation %s: %v", annotationGroupAdd, err)
		}
	}
	u, home, err := ResolveUser(rootfs, user, groupAdd)
	u.Umask = base.Process.User.Umask
	return u, home, err
}

// execEnv is the container's env without the variables Generate defaulted,
// TERM=xterm with a TTY (unless the container sets TERM), the exec's Env
// applied, and HOME (when known and not set) last.
func execEnv(env, defaulted []string, ex container.ExecCreateRequest, home string) []string {
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return slices.Contains(defaulted, envKey(kv))
	})
	if ex.Tty && !hasEnv(env, "TERM") {
		env = append(env, "TERM=xterm")
	}
	env = replaceOrAppendEnv(env, ex.Env)
	if home != "" && !hasEnv(env, "HOME") {
		env = append(env, "HOME="+home)
	}
	return env
}

func envValue(env []string, key string) string {
	if i := envIndex(env, key); i >= 0 {
		_, v, _ := strings.Cut(env[i], "=")
		return v
	}
	return ""
}

// cloneProcess deep-copies p so that the exec's process shares nothing
// with the container's spec.
func cloneProcess(p *specs.Process) (*specs.Process, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var c specs.Process
	return &c, json.Unmarshal(b, &c)
}
