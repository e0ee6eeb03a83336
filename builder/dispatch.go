package builder

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/docker/go-connections/nat"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// defaultShell is the shell of shell-form commands without SHELL.
var defaultShell = []string{"/bin/sh", "-c"}

// dispatch runs one instruction of a stage.
func (r *run) dispatch(ctx context.Context, s *stage, c instructions.Command) error {
	if err := r.expand(s, c); err != nil {
		return err
	}
	switch c := c.(type) {
	case *instructions.RunCommand:
		return r.runStep(ctx, s, c)
	case *instructions.CopyCommand:
		return r.copyStep(ctx, s, copyRequest{name: "COPY", sources: c.SourcePaths, contents: c.SourceContents,
			dest: c.DestPath, from: c.From, chown: c.Chown, chmod: c.Chmod})
	case *instructions.AddCommand:
		return r.copyStep(ctx, s, copyRequest{name: "ADD", sources: c.SourcePaths, contents: c.SourceContents,
			dest: c.DestPath, chown: c.Chown, chmod: c.Chmod, add: true})
	case *instructions.WorkdirCommand:
		return r.workdirStep(ctx, s, c)
	case *instructions.ArgCommand:
		return r.argStep(ctx, s, c)
	}
	comment, err := applyMetadata(s, c)
	if err != nil {
		return err
	}
	return r.metadataStep(ctx, s, comment)
}

// expand substitutes variables in the words of c that allow it.
func (r *run) expand(s *stage, c instructions.Command) error {
	ex, ok := c.(instructions.SupportsSingleWordExpansion)
	if !ok {
		return nil
	}
	if _, isArg := c.(*instructions.ArgCommand); isArg {
		return nil // ARG values expand as they are declared
	}
	env := s.env()
	err := ex.Expand(func(word string) (string, error) {
		out, _, err := r.lex.ProcessWord(word, env)
		return out, err
	})
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("dockerfile line %d: %v", lineOf(c), err))
	}
	if raw, ok := c.(instructions.SupportsSingleWordExpansionRaw); ok {
		// Heredoc documents (<<EOF, not <<"EOF") expand without quote removal.
		lex := shell.NewLex(r.df.Escape)
		lex.SkipProcessQuotes = true
		err = raw.ExpandRaw(func(word string) (string, error) {
			out, _, err := lex.ProcessWord(word, env)
			return out, err
		})
		if err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("dockerfile line %d: %v", lineOf(c), err))
		}
	}
	return nil
}

// applyMetadata changes the stage config as c says and returns the
// history comment Docker records for it.
func applyMetadata(s *stage, c instructions.Command) (string, error) {
	cfg := &s.config
	switch c := c.(type) {
	case *instructions.EnvCommand:
		var parts []string
		for _, kv := range c.Env {
			cfg.Env = setEnv(cfg.Env, kv.Key, kv.Value)
			parts = append(parts, kv.String())
		}
		return "ENV " + strings.Join(parts, " "), nil
	case *instructions.LabelCommand:
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		var parts []string
		for _, kv := range c.Labels {
			cfg.Labels[kv.Key] = kv.Value
			parts = append(parts, kv.String())
		}
		return "LABEL " + strings.Join(parts, " "), nil
	case *instructions.CmdCommand:
		cfg.Cmd = commandLine(s, c.ShellDependantCmdLine)
		s.cmdSet = true
		return fmt.Sprintf("CMD %q", cfg.Cmd), nil
	case *instructions.EntrypointCommand:
		cfg.Entrypoint = commandLine(s, c.ShellDependantCmdLine)
		if !s.cmdSet {
			cfg.Cmd = nil
		}
		return fmt.Sprintf("ENTRYPOINT %q", cfg.Entrypoint), nil
	case *instructions.ExposeCommand:
		return expose(cfg.ExposedPorts, c.Ports, func(m map[string]struct{}) { cfg.ExposedPorts = m })
	case *instructions.VolumeCommand:
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if strings.TrimSpace(v) == "" {
				return "", errdefs.ErrInvalidArgument.WithMessage("VOLUME specified can not be an empty string")
			}
			cfg.Volumes[v] = struct{}{}
		}
		return fmt.Sprintf("VOLUME %v", c.Volumes), nil
	case *instructions.UserCommand:
		cfg.User = c.User
		return "USER " + c.User, nil
	case *instructions.StopSignalCommand:
		cfg.StopSignal = c.Signal
		return "STOPSIGNAL " + c.Signal, nil
	case *instructions.HealthCheckCommand:
		cfg.Healthcheck = c.Health
		return fmt.Sprintf("HEALTHCHECK &{%q %q %q %q %q %d}", c.Health.Test, c.Health.Interval, c.Health.Timeout, c.Health.StartPeriod, c.Health.StartInterval, c.Health.Retries), nil
	case *instructions.ShellCommand:
		cfg.Shell = slices.Clone(c.Shell)
		return fmt.Sprintf("SHELL %v", c.Shell), nil
	case *instructions.OnbuildCommand:
		cfg.OnBuild = append(cfg.OnBuild, c.Expression)
		return "ONBUILD " + c.Expression, nil
	case *instructions.MaintainerCommand:
		s.author = c.Maintainer
		return "MAINTAINER " + c.Maintainer, nil
	}
	return "", errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf("dockerfile line %d: %s is not supported by Berth yet", lineOf(c), strings.ToUpper(c.Name())))
}

// commandLine is the argv of a CMD, ENTRYPOINT or RUN: the shell form
// runs in SHELL (default /bin/sh -c).
func commandLine(s *stage, cl instructions.ShellDependantCmdLine) []string {
	if !cl.PrependShell {
		return slices.Clone(cl.CmdLine)
	}
	sh := s.config.Shell
	if len(sh) == 0 {
		sh = defaultShell
	}
	return append(slices.Clone(sh), strings.Join(cl.CmdLine, " "))
}

func expose(current map[string]struct{}, ports []string, set func(map[string]struct{})) (string, error) {
	specs, _, err := nat.ParsePortSpecs(ports)
	if err != nil {
		return "", errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	next := maps.Clone(current)
	if next == nil {
		next = map[string]struct{}{}
	}
	var list []string
	for p := range specs {
		next[string(p)] = struct{}{}
		list = append(list, string(p))
	}
	sort.Strings(list)
	set(next)
	return "EXPOSE " + strings.Join(list, " "), nil
}

func setEnv(env []string, key, value string) []string {
	out := slices.Clone(env)
	for i, kv := range out {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			out[i] = key + "=" + value
			return out
		}
	}
	return append(out, key+"="+value)
}

// workdir resolves p against the stage's working directory.
func workdir(s *stage, p string) string {
	if !path.IsAbs(p) {
		base := s.config.WorkingDir
		if base == "" {
			base = "/"
		}
		p = path.Join(base, p)
	}
	return path.Clean(p)
}

// argStep declares build arguments; like Docker it commits a history entry.
func (r *run) argStep(ctx context.Context, s *stage, c *instructions.ArgCommand) error {
	var parts []string
	env := s.env()
	for _, kv := range c.Args {
		def := kv.Value
		kv, err := r.resolveArg(kv, env)
		if err != nil {
			return err
		}
		if kv.Value == nil && def == nil {
			kv.Value = r.metaArg(kv.Key)
		}
		s.args = slices.DeleteFunc(s.args, func(a instructions.KeyValuePairOptional) bool { return a.Key == kv.Key })
		s.args = append(s.args, kv)
		if def != nil {
			parts = append(parts, kv.Key+"="+*def)
		} else {
			parts = append(parts, kv.Key)
		}
	}
	return r.metadataStep(ctx, s, "ARG "+strings.Join(parts, " "))
}
