// Package dockerfile parses a Dockerfile with buildkit's reference parser
// into stages and works out which stages a target needs. Every error it
// returns names the Dockerfile line, before any step runs.
package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	Stages   []instructions.Stage
	MetaArgs []instructions.ArgCommand // ARGs before the first FROM
	Escape   rune
}

// Parse reads a Dockerfile.
func Parse(content []byte) (*Dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(content))
	if err != nil {
		return nil, invalid(err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, invalid(err)
	}
	if len(stages) == 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage("dockerfile contains no stages to build")
	}
	for _, st := range stages {
		for _, c := range st.Commands {
			if err := checkSupported(c); err != nil {
				return nil, err
			}
		}
	}
	return &Dockerfile{Stages: stages, MetaArgs: metaArgs, Escape: res.EscapeToken}, nil
}

// invalid turns a parser error into a 400 that names the line, as
// "dockerfile parse error on line 3: unknown instruction: FOO".
func invalid(err error) error {
	msg := err.Error()
	var loc *parser.LocationError
	if !strings.Contains(msg, "line") && errors.As(err, &loc) && len(loc.Locations) > 0 && len(loc.Locations[0]) > 0 {
		msg = fmt.Sprintf("dockerfile parse error on line %d: %s", loc.Locations[0][0].Start.Line, msg)
	}
	return errdefs.ErrInvalidArgument.WithMessage(msg)
}

// checkSupported refuses, with the line, what the builder does not do yet.
func checkSupported(c instructions.Command) error {
	notYet := func(what string) error {
		line := 0
		if loc := c.Location(); len(loc) > 0 {
			line = loc[0].Start.Line
		}
		return errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf("dockerfile line %d: %s is not supported by Berth yet", line, what))
	}
	switch c := c.(type) {
	case *instructions.RunCommand:
		if len(c.FlagsUsed) > 0 {
			return notYet("RUN --" + c.FlagsUsed[0])
		}
		if len(c.Files) > 0 && (!c.PrependShell || len(c.CmdLine) != 1) {
			return notYet("RUN in exec form with a heredoc")
		}
		if len(c.Files) == 1 && parser.MustParseHeredoc(c.CmdLine[0]) != nil && strings.HasPrefix(c.Files[0].Data, "#!") {
			return notYet("RUN of a heredoc script with a #! line")
		}
	case *instructions.CopyCommand:
		if c.Parents || len(c.ExcludePatterns) > 0 {
			return notYet("COPY --parents and --exclude")
		}
	case *instructions.AddCommand:
		if c.Checksum != "" || c.KeepGitDir != nil || len(c.ExcludePatterns) > 0 {
			return notYet("ADD --checksum, --keep-git-dir and --exclude")
		}
	}
	return nil
}

// StageIndex finds a stage by name (case-insensitive) or number.
func (d *Dockerfile) StageIndex(ref string) (int, bool) {
	for i, st := range d.Stages {
		if st.Name != "" && strings.EqualFold(st.Name, ref) {
			return i, true
		}
	}
	if n, err := strconv.Atoi(ref); err == nil && n >= 0 && n < len(d.Stages) {
		return n, true
	}
	return 0, false
}

// Target returns the index of the stage to build: the named one, else the last.
func (d *Dockerfile) Target(name string) (int, error) {
	if name == "" {
		return len(d.Stages) - 1, nil
	}
	for i, st := range d.Stages {
		if strings.EqualFold(st.Name, name) {
			return i, nil
		}
	}
	return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("failed to reach build target %s in Dockerfile", name))
}

// Deps lists the earlier stages stage i uses: its FROM and its COPY
// --from. baseName expands a stage's base name (it may use meta ARGs).
func (d *Dockerfile) Deps(i int, baseName func(string) string) []int {
	refs := []string{baseName(d.Stages[i].BaseName)}
	for _, c := range d.Stages[i].Commands {
		if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
			refs = append(refs, cp.From)
		}
	}
	var out []int
	for _, ref := range refs {
		if j, ok := d.StageIndex(ref); ok && j < i && !slices.Contains(out, j) {
			out = append(out, j)
		}
	}
	return out
}

// Needed lists, in Dockerfile order, the stages target depends on,
// directly or not, and target itself.
func (d *Dockerfile) Needed(target int, baseName func(string) string) []int {
	need := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if need[i] {
			return
		}
		need[i] = true
		for _, j := range d.Deps(i, baseName) {
			visit(j)
		}
	}
	visit(target)
	var out []int
	for i := range d.Stages {
		if need[i] {
			out = append(out, i)
		}
	}
	return out
}
