package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// BuildOptions are the options of "berth build".
type BuildOptions struct {
	Context    string // a directory, or "-" for a tar or Dockerfile on stdin
	Tags       []string
	Dockerfile string
	BuildArgs  []string
	Labels     []string
	Target     string
	NoCache    bool
	Pull       bool
	Quiet      bool
	Rm         bool
	ForceRm    bool
	Network    string
	Platform   string
	AddHosts   []string
	CacheFrom  []string
}

func newBuildCommand(c *CLI, use string) *cobra.Command {
	var opts BuildOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: "Build an image from a Dockerfile",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = args[0]
			return runBuild(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth image build", "berth build")
	flags := cmd.Flags()
	flags.StringArrayVarP(&opts.Tags, "tag", "t", nil, `Name and optionally a tag in the "name:tag" format`)
	flags.StringVarP(&opts.Dockerfile, "file", "f", "", `Name of the Dockerfile (Default is "PATH/Dockerfile")`)
	flags.StringArrayVar(&opts.BuildArgs, "build-arg", nil, "Set build-time variables")
	flags.StringArrayVar(&opts.Labels, "label", nil, "Set metadata for an image")
	flags.StringVar(&opts.Target, "target", "", "Set the target build stage to build.")
	flags.BoolVar(&opts.NoCache, "no-cache", false, "Do not use cache when building the image")
	flags.BoolVar(&opts.Pull, "pull", false, "Always attempt to pull a newer version of the image")
	flags.BoolVarP(&opts.Quiet, "quiet", "q", false, "Suppress the build output and print image ID on success")
	flags.BoolVar(&opts.Rm, "rm", true, "Remove intermediate containers after a successful build")
	flags.BoolVar(&opts.ForceRm, "force-rm", false, "Always remove intermediate containers")
	flags.StringVar(&opts.Network, "network", "default", "Set the networking mode for the RUN instructions during build")
	flags.StringVar(&opts.Platform, "platform", "", "Set platform if server is multi-platform capable")
	flags.StringArrayVar(&opts.AddHosts, "add-host", nil, "Add a custom host-to-IP mapping (host:ip)")
	flags.StringSliceVar(&opts.CacheFrom, "cache-from", nil, "Images to consider as cache sources")
	return cmd
}

func runBuild(ctx context.Context, c *CLI, opts BuildOptions) error {
	body, dockerfile, err := buildContext(c, opts)
	if err != nil {
		return err
	}
	defer body.Close()
	api, err := c.Client()
	if err != nil {
		return err
	}
	bopts := client.ImageBuildOptions{Tags: opts.Tags, SuppressOutput: opts.Quiet, NoCache: opts.NoCache,
		Remove: opts.Rm, ForceRemove: opts.ForceRm, PullParent: opts.Pull, NetworkMode: opts.Network,
		Dockerfile: dockerfile, Target: opts.Target, ExtraHosts: opts.AddHosts, CacheFrom: opts.CacheFrom,
		BuildArgs: buildArgs(opts.BuildArgs, os.LookupEnv), Labels: labelMap(opts.Labels), Version: "1"}
	if opts.Platform != "" {
		p, err := parsePlatform(opts.Platform)
		if err != nil {
			return err
		}
		bopts.Platforms = append(bopts.Platforms, p)
	}
	res, err := api.ImageBuild(ctx, body, bopts)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	err = displayJSONStream(res.Body, c.out, c.streamOptions())
	var jerr *jsonstream.Error
	if errors.As(err, &jerr) {
		code := jerr.Code
		if code == 0 {
			code = 1
		}
		return StatusError{Status: jerr.Message, StatusCode: code}
	}
	return err
}

// buildContext is the request body: stdin as it is for "-", else the
// directory as a tar without what .dockerignore excludes. dockerfile is
// the Dockerfile's name inside the context.
func buildContext(c *CLI, opts BuildOptions) (io.ReadCloser, string, error) {
	if opts.Context == "-" {
		if opts.Dockerfile == "-" {
			return nil, "", errors.New("invalid argument: can't use stdin for both build context and dockerfile")
		}
		return io.NopCloser(bufio.NewReader(c.in)), opts.Dockerfile, nil
	}
	if st, err := os.Stat(opts.Context); err != nil || !st.IsDir() {
		return nil, "", fmt.Errorf("unable to prepare context: path %q not found", opts.Context)
	}
	var extra *contextFile
	dockerfile := opts.Dockerfile
	switch {
	case dockerfile == "-":
		b, err := io.ReadAll(c.in)
		if err != nil {
			return nil, "", err
		}
		extra = &contextFile{name: ".dockerfile.stdin", data: b}
		dockerfile = extra.name
	case dockerfile != "":
		rel, inside := relativeTo(opts.Context, dockerfile)
		if inside {
			dockerfile = rel
		} else {
			b, err := os.ReadFile(dockerfile)
			if err != nil {
				return nil, "", fmt.Errorf("unable to prepare context: %w", err)
			}
			extra = &contextFile{name: ".dockerfile." + filepath.Base(dockerfile), data: b}
			dockerfile = extra.name
		}
	}
	r, err := tarContext(opts.Context, dockerfile, extra)
	return r, dockerfile, err
}

// relativeTo returns the path of file inside dir, if it is inside.
func relativeTo(dir, file string) (string, bool) {
	absDir, err1 := filepath.Abs(dir)
	absFile, err2 := filepath.Abs(file)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(absDir, absFile)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// buildArgs reads --build-arg values: KEY=VALUE, or KEY alone, which takes
// the value from the environment (nil when unset, as docker).
func buildArgs(args []string, lookup func(string) (string, bool)) map[string]*string {
	out := map[string]*string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			if ev, set := lookup(k); set {
				v, ok = ev, true
			}
		}
		if ok {
			out[k] = &v
		} else {
			out[k] = nil
		}
	}
	return out
}

func labelMap(labels []string) map[string]string {
	out := map[string]string{}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		out[k] = v
	}
	return out
}
