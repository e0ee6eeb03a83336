package builder

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/berth/berth/daemon"
	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/moby/api/pkg/stdcopy"
	containertypes "github.com/moby/moby/api/types/container"
)

// ExitError is a RUN step whose command failed; Code is its exit status,
// which the docker CLI exits with.
type ExitError struct {
	Cmd  []string
	Code int
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("The command '%s' returned a non-zero code: %d", strings.Join(e.Cmd, " "), e.Code)
}

// runStep runs the command in a container of the stage's image and
// commits what it changed. Its history line, like Docker's, names the
// build args it saw: "|1 V=2 /bin/sh -c make".
func (r *run) runStep(ctx context.Context, s *stage, c *instructions.RunCommand) error {
	if s.imageID == "" {
		return errdefs.ErrInvalidArgument.WithMessage("Please provide a source image with `from` prior to run")
	}
	cmd := commandLine(s, withHeredocs(c.ShellDependantCmdLine))
	argEnv := r.argEnv(s)
	createdBy := strings.Join(cmd, " ")
	if len(argEnv) > 0 {
		createdBy = fmt.Sprintf("|%d %s %s", len(argEnv), strings.Join(argEnv, " "), createdBy)
	}
	env := append(slices.Clone(s.config.Env), argEnv...)
	return r.cachedStep(ctx, s, createdBy, strings.Join(env, "\n"), func() (string, error) {
		return r.runContainer(ctx, s, cmd, append(env, r.proxyEnv()...), createdBy)
	})
}

// withHeredocs folds a shell-form RUN's heredocs into its command line as
// BuildKit does: "RUN <<EOF" alone runs the document in the shell, other
// forms pass the documents on for the shell to read.
func withHeredocs(cl instructions.ShellDependantCmdLine) instructions.ShellDependantCmdLine {
	if len(cl.Files) == 0 {
		return cl
	}
	if len(cl.Files) == 1 && parser.MustParseHeredoc(cl.CmdLine[0]) != nil {
		data := cl.Files[0].Data
		if cl.Files[0].Chomp {
			data = parser.ChompHeredocContent(data)
		}
		cl.CmdLine = []string{data}
		return cl
	}
	var b strings.Builder
	b.WriteString(cl.CmdLine[0])
	for _, f := range cl.Files {
		b.WriteString("\n" + f.Data + f.Name)
	}
	cl.CmdLine = []string{b.String()}
	return cl
}

// argEnv lists the stage's ARGs with a value that no ENV overrides, sorted.
func (r *run) argEnv(s *stage) []string {
	var out []string
	for _, kv := range s.args {
		if kv.Value == nil || hasEnv(s.config.Env, kv.Key) {
			continue
		}
		out = append(out, kv.String())
	}
	sort.Strings(out)
	return out
}

func (r *run) proxyEnv() []string {
	var out []string
	for _, k := range proxyArgs {
		if v, ok := r.opts.BuildArgs[k]; ok && v != nil {
			out = append(out, k+"="+*v)
		}
	}
	return out
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}

func (r *run) runContainer(ctx context.Context, s *stage, cmd, env []string, createdBy string) (string, error) {
	cfg := &containertypes.Config{Image: s.imageID, Cmd: cmd, Entrypoint: []string{""}, Env: env,
		User: s.config.User, WorkingDir: s.config.WorkingDir, StopSignal: s.config.StopSignal,
		Healthcheck: &containertypes.HealthConfig{Test: []string{"NONE"}}}
	o := r.opts
	hc := &containertypes.HostConfig{NetworkMode: containertypes.NetworkMode(o.NetworkMode), ExtraHosts: o.ExtraHosts,
		ShmSize: o.ShmSize, Resources: containertypes.Resources{Memory: o.Memory, MemorySwap: o.MemorySwap,
			CPUShares: o.CPUShares, CPUQuota: o.CPUQuota, CPUPeriod: o.CPUPeriod, CpusetCpus: o.CPUSetCPUs, CpusetMems: o.CPUSetMems}}
	created, err := r.b.ctrs.Create(ctx, "", containertypes.CreateRequest{Config: cfg, HostConfig: hc}, "")
	if err != nil {
		return "", err
	}
	id := created.ID
	r.out.printf(" ---> Running in %s\n", shortID(id))
	remove := o.Remove || o.ForceRm
	if remove {
		// Also on failure and cancellation: nothing is left behind.
		defer func() { _ = r.b.ctrs.Remove(context.WithoutCancel(ctx), id, true, true) }()
	}
	code, err := r.startAndWait(ctx, id)
	if err != nil {
		return "", err
	}
	if code != 0 {
		return "", &ExitError{Cmd: cmd, Code: code}
	}
	diff, err := r.b.layers.RWDiff(id)
	if err != nil {
		return "", err
	}
	defer diff.Close()
	imageID, err := r.commitImage(ctx, s, diff, createdBy)
	if err != nil {
		return "", err
	}
	if remove {
		r.out.printf("Removing intermediate container %s\n", shortID(id))
	}
	return imageID, nil
}

// startAndWait starts container id, streams its output into the build's
// and returns its exit code.
func (r *run) startAndWait(ctx context.Context, id string) (int, error) {
	exited, err := r.b.ctrs.Wait(ctx, id, "next-exit")
	if err != nil {
		return 0, err
	}
	if err := r.b.ctrs.Start(ctx, id); err != nil {
		return 0, err
	}
	pr, pw := io.Pipe()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, err := stdcopy.StdCopy(r.out, r.out, pr)
		pr.CloseWithError(err)
	}()
	err = r.b.ctrs.Logs(ctx, id, daemon.LogsOptions{Stdout: true, Stderr: true, Follow: true, Tail: -1}, logsOutput{pw})
	pw.Close()
	<-copied
	if err != nil {
		return 0, err
	}
	select {
	case code := <-exited:
		return code, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// logsOutput hands the framed log stream to the demultiplexer.
type logsOutput struct{ w io.Writer }

func (l logsOutput) Start(bool) io.Writer { return l.w }
func (l logsOutput) Flush()               {}
