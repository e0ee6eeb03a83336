package builder

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/berth/berth/builder/dockerfile"
	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// proxyArgs may be passed as build args without an ARG; they reach RUN
// steps but neither the history nor the cache key.
var proxyArgs = []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
	"NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"}

// run is one build in progress.
type run struct {
	b       *Builder
	opts    Options
	df      *dockerfile.Dockerfile
	context *os.Root
	out     *output
	lex     *shell.Lex

	metaArgs    []instructions.KeyValuePairOptional // ARGs before FROM, resolved
	sources     []cacheSource                       // --cache-from images
	shared      *shared
	step, total int
}

// shared is what the stages of one build, which may run at the same
// time, share.
type shared struct {
	// mu guards both maps.
	mu          sync.Mutex
	stageImages map[int]string // built stages' image IDs
	usedArgs    map[string]bool
}

func (sh *shared) stageImage(i int) (string, bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	id, ok := sh.stageImages[i]
	return id, ok
}

func (sh *shared) setStageImage(i int, id string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.stageImages[i] = id
}

func (sh *shared) useArg(k string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.usedArgs[k] = true
}

func (sh *shared) argUsed(k string) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.usedArgs[k]
}

func (r *run) build(ctx context.Context) (string, error) {
	r.lex = shell.NewLex(r.df.Escape)
	r.shared = &shared{stageImages: map[int]string{}, usedArgs: map[string]bool{}}
	for _, a := range r.df.MetaArgs {
		for _, kv := range a.Args {
			kv, err := r.resolveArg(kv, r.metaEnv())
			if err != nil {
				return "", err
			}
			r.metaArgs = append(r.metaArgs, kv)
		}
	}
	target, err := r.df.Target(r.opts.Target)
	if err != nil {
		return "", err
	}
	if err := r.addLabels(target); err != nil {
		return "", err
	}
	needed := r.df.Needed(target, r.expandMeta)
	r.total = len(r.df.MetaArgs)
	for _, i := range needed {
		r.total += 1 + len(r.df.Stages[i].Commands)
	}
	for _, a := range r.df.MetaArgs {
		r.printStep(a.String())
	}
	if err := r.buildStages(ctx, needed); err != nil {
		return "", err
	}
	r.warnUnusedArgs()
	id, _ := r.shared.stageImage(target)
	return id, nil
}

func (r *run) printStep(code string) {
	r.step++
	r.out.printf("Step %d/%d : %s\n", r.step, r.total, code)
}

// metaEnv is the environment FROM lines and meta ARGs expand with.
func (r *run) metaEnv() shell.EnvGetter {
	var env []string
	for _, kv := range r.metaArgs {
		if kv.Value != nil {
			env = append(env, kv.String())
		}
	}
	return shell.EnvsFromSlice(env)
}

func (r *run) expandMeta(word string) string {
	out, _, err := r.lex.ProcessWord(word, r.metaEnv())
	if err != nil {
		return word
	}
	return out
}

// resolveArg gives an ARG its value: the build arg of that name, else its
// default (expanded with env), else the meta ARG of that name.
func (r *run) resolveArg(kv instructions.KeyValuePairOptional, env shell.EnvGetter) (instructions.KeyValuePairOptional, error) {
	if kv.Value != nil {
		v, _, err := r.lex.ProcessWord(*kv.Value, env)
		if err != nil {
			return kv, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		kv.Value = &v
	}
	if v, ok := r.opts.BuildArgs[kv.Key]; ok {
		r.shared.useArg(kv.Key)
		if v != nil {
			kv.Value = v
		}
		return kv, nil
	}
	return kv, nil
}

// metaArg is the value of the meta ARG name, for an ARG in a stage that
// names it without a default.
func (r *run) metaArg(name string) *string {
	for _, kv := range r.metaArgs {
		if kv.Key == name {
			return kv.Value
		}
	}
	return nil
}

func (r *run) warnUnusedArgs() {
	var unused []string
	for k := range r.opts.BuildArgs {
		if !r.shared.argUsed(k) && !slices.Contains(proxyArgs, k) {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		r.out.printf("[Warning] One or more build-args [%s] were not consumed\n", strings.Join(unused, " "))
	}
}

// lineOf is the Dockerfile line of c, for error messages.
func lineOf(c instructions.Command) int {
	if loc := c.Location(); len(loc) > 0 {
		return loc[0].Start.Line
	}
	return 0
}

// parseTriggers parses an image's ONBUILD expressions as Dockerfile lines.
func (r *run) parseTriggers(triggers []string) ([]instructions.Command, error) {
	res, err := parser.Parse(strings.NewReader(strings.Join(triggers, "\n")))
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	var out []instructions.Command
	for _, n := range res.AST.Children {
		switch strings.ToUpper(n.Value) {
		case "ONBUILD", "FROM", "MAINTAINER":
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s isn't allowed as an ONBUILD trigger", strings.ToUpper(n.Value)))
		}
		c, err := instructions.ParseCommand(n)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		out = append(out, c)
	}
	return out, nil
}

// addLabels appends the request's labels to the target stage as one
// LABEL step, as Docker does.
func (r *run) addLabels(target int) error {
	if len(r.opts.Labels) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(r.opts.Labels))
	var b strings.Builder
	b.WriteString("LABEL")
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", strconv.Quote(k), strconv.Quote(r.opts.Labels[k]))
	}
	res, err := parser.Parse(strings.NewReader(b.String()))
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage("invalid labels: " + err.Error())
	}
	c, err := instructions.ParseCommand(res.AST.Children[0])
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage("invalid labels: " + err.Error())
	}
	st := &r.df.Stages[target]
	st.Commands = append(st.Commands, c)
	return nil
}
