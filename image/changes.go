package image

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/docker/go-connections/nat"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// changeCommands are the Dockerfile instructions `--change` accepts
// (Docker's validCommitCommands).
var changeCommands = map[string]bool{"cmd": true, "entrypoint": true, "healthcheck": true, "env": true,
	"expose": true, "label": true, "onbuild": true, "stopsignal": true, "user": true, "volume": true, "workdir": true}

// applyChanges applies Dockerfile lines to cfg the way `docker import
// --change` and `docker commit --change` do (Docker's BuildFromConfig).
// Errors are InvalidArgument with Docker's wording.
func applyChanges(cfg *dockerspec.DockerOCIImageConfig, changes []string) error {
	if len(changes) == 0 {
		return nil
	}
	res, err := parser.Parse(strings.NewReader(strings.Join(changes, "\n")))
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	for _, n := range res.AST.Children {
		if !changeCommands[strings.ToLower(n.Value)] {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s is not a valid change command", n.Value))
		}
	}
	lex := shell.NewLex(res.EscapeToken)
	cmdSet := false
	for _, n := range res.AST.Children {
		cmd, err := instructions.ParseCommand(n)
		if err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		if err := expand(cmd, lex, cfg.Env); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		if err := applyChange(cfg, cmd, lex, &cmdSet); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
	}
	return nil
}

// expand substitutes $VARS from env in the words of cmd that allow it.
func expand(cmd instructions.Command, lex *shell.Lex, env []string) error {
	ex, ok := cmd.(instructions.SupportsSingleWordExpansion)
	if !ok {
		return nil
	}
	envs := shell.EnvsFromSlice(env)
	return ex.Expand(func(word string) (string, error) {
		w, _, err := lex.ProcessWord(word, envs)
		return w, err
	})
}

func applyChange(cfg *dockerspec.DockerOCIImageConfig, cmd instructions.Command, lex *shell.Lex, cmdSet *bool) error {
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			cfg.Env = setEnv(cfg.Env, kv.Key, kv.String())
		}
	case *instructions.LabelCommand:
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		for _, kv := range c.Labels {
			cfg.Labels[kv.Key] = kv.Value
		}
	case *instructions.CmdCommand:
		cfg.Cmd = withShell(c.ShellDependantCmdLine, cfg.Shell)
		cfg.ArgsEscaped = false //lint:ignore SA1019 Docker still writes this legacy field
		*cmdSet = *cmdSet || len(c.CmdLine) != 0
	case *instructions.EntrypointCommand:
		cfg.Entrypoint = withShell(c.ShellDependantCmdLine, cfg.Shell)
		cfg.ArgsEscaped = false //lint:ignore SA1019 Docker still writes this legacy field
		if !*cmdSet {
			cfg.Cmd = nil // an ENTRYPOINT resets a CMD not set by these changes
		}
	case *instructions.HealthCheckCommand:
		cfg.Healthcheck = c.Health
	case *instructions.OnbuildCommand:
		cfg.OnBuild = append(cfg.OnBuild, c.Expression)
	case *instructions.WorkdirCommand:
		cfg.WorkingDir = workdir(cfg.WorkingDir, c.Path)
	case *instructions.UserCommand:
		cfg.User = c.User
	case *instructions.StopSignalCommand:
		if err := checkSignal(c.Signal); err != nil {
			return err
		}
		cfg.StopSignal = c.Signal
	default:
		return applyCollectionChange(cfg, cmd, lex)
	}
	return nil
}

// applyCollectionChange handles the instructions that add to sets.
func applyCollectionChange(cfg *dockerspec.DockerOCIImageConfig, cmd instructions.Command, lex *shell.Lex) error {
	switch c := cmd.(type) {
	case *instructions.ExposeCommand:
		var ports []string
		for _, p := range c.Ports {
			words, err := lex.ProcessWords(p, shell.EnvsFromSlice(cfg.Env))
			if err != nil {
				return err
			}
			ports = append(ports, words...)
		}
		set, _, err := nat.ParsePortSpecs(ports)
		if err != nil {
			return err
		}
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for p := range set {
			cfg.ExposedPorts[string(p)] = struct{}{}
		}
	case *instructions.VolumeCommand:
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if v == "" {
				return fmt.Errorf("VOLUME specified can not be an empty string")
			}
			cfg.Volumes[v] = struct{}{}
		}
	default:
		return fmt.Errorf("%s is not a valid change command", strings.ToLower(cmd.Name()))
	}
	return nil
}

func setEnv(env []string, key, kv string) []string {
	for i, e := range env {
		if k, _, _ := strings.Cut(e, "="); shell.EqualEnvKeys(k, key) {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// withShell is the command line of a CMD or ENTRYPOINT: shell form runs
// through the image's SHELL (default /bin/sh -c).
func withShell(c instructions.ShellDependantCmdLine, sh []string) []string {
	if !c.PrependShell {
		return c.CmdLine
	}
	if len(sh) == 0 {
		sh = []string{"/bin/sh", "-c"}
	}
	return append(append([]string{}, sh...), c.CmdLine...)
}

// workdir resolves WORKDIR against the current one (Docker's normalizeWorkdir).
func workdir(current, requested string) string {
	if path.IsAbs(requested) {
		return path.Clean(requested)
	}
	return path.Join("/", current, requested)
}

// checkSignal accepts what Docker's signal.ParseSignal accepts: a number or
// a name, with or without SIG.
func checkSignal(s string) error {
	if n, err := strconv.Atoi(s); err == nil {
		if n > 0 && n <= 64 {
			return nil
		}
	} else if unix.SignalNum("SIG"+strings.TrimPrefix(strings.ToUpper(s), "SIG")) != 0 {
		return nil
	}
	return fmt.Errorf("Invalid signal: %s", s)
}
