package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/moby/term"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// --pull policies.
const (
	pullAlways  = "always"
	pullMissing = "missing"
	pullNever   = "never"
)

// CreateOptions are the options of "berth create" that are not part of the
// container's configuration.
type CreateOptions struct {
	Name     string
	Platform string
	Pull     string // always, missing or never
	Quiet    bool
}

// addCreateFlags defines the flags shared by create and run besides the
// container options.
func addCreateFlags(fs *pflag.FlagSet, opts *CreateOptions, verb string) {
	fs.SetInterspersed(false)
	fs.StringVar(&opts.Name, "name", "", "Assign a name to the container")
	fs.StringVar(&opts.Pull, "pull", pullMissing, fmt.Sprintf(`Pull image before %s ("%s", "%s", "%s")`, verb, pullAlways, pullMissing, pullNever))
	fs.BoolVarP(&opts.Quiet, "quiet", "q", false, "Suppress the pull output")
	fs.StringVar(&opts.Platform, "platform", "", "Set platform if server is multi-platform capable")
	// an explicit --help without -h, which is --hostname here
	fs.Bool("help", false, "Print usage")
}

func newCreateCommand(c *CLI) *cobra.Command {
	var opts CreateOptions
	var copts *containerOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			copts.Image, copts.Args = args[0], args[1:]
			return runCreate(cmd.Context(), c, opts, copts)
		},
	}
	withAliases(cmd, "berth container create", "berth create")
	addCreateFlags(cmd.Flags(), &opts, "creating")
	copts = addContainerFlags(cmd.Flags(), c.lookupEnv)
	return cmd
}

func runCreate(ctx context.Context, c *CLI, opts CreateOptions, copts *containerOptions) error {
	if err := checkPullPolicy(opts.Pull); err != nil {
		return usageError("create", err)
	}
	cfg, err := copts.parse(c.lookupEnv)
	if err != nil {
		return usageError("create", err)
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	id, err := c.createContainer(ctx, api, cfg, opts)
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintln(c.out, id)
	return nil
}

// usageError is docker's report of a bad option of create or run:
// "berth: MESSAGE", a pointer to the help, and exit status 125.
func usageError(command string, err error) error {
	return StatusError{
		Status:     fmt.Sprintf("berth: %s\n\nRun 'berth %s --help' for more information", err, command),
		StatusCode: exitFlagError,
	}
}

func checkPullPolicy(p string) error {
	switch p {
	case pullAlways, pullMissing, pullNever, "":
		return nil
	}
	return fmt.Errorf("invalid pull option: '%s': must be one of %q, %q or %q", p, pullAlways, pullMissing, pullNever)
}

// createContainer creates the container and returns its ID. With --pull
// always it pulls first; with missing (the default) it pulls when the
// daemon says the image does not exist, and tries again.
func (c *CLI) createContainer(ctx context.Context, api client.APIClient, cfg *containerConfig, opts CreateOptions) (string, error) {
	var platform *ocispec.Platform
	if opts.Platform != "" {
		p, err := parsePlatform(opts.Platform)
		if err != nil {
			return "", fmt.Errorf("error parsing specified platform: %w", err)
		}
		platform = &p
	}
	var named reference.Named
	if ref, err := reference.ParseAnyReference(cfg.Config.Image); err == nil {
		if n, ok := ref.(reference.Named); ok {
			named = reference.TagNameOnly(n)
		}
	}
	if opts.Pull == pullAlways {
		if err := c.pullImage(ctx, api, cfg.Config.Image, platform, opts.Quiet); err != nil {
			return "", err
		}
	}
	cfg.HostConfig.ConsoleSize[0], cfg.HostConfig.ConsoleSize[1] = c.ttySize()
	createOpts := client.ContainerCreateOptions{
		Config:           cfg.Config,
		HostConfig:       cfg.HostConfig,
		NetworkingConfig: cfg.NetworkingConfig,
		Platform:         platform,
		Name:             opts.Name,
	}
	res, err := api.ContainerCreate(ctx, createOpts)
	if err != nil && cerrdefs.IsNotFound(err) && named != nil && opts.Pull == pullMissing {
		if !opts.Quiet {
			_, _ = fmt.Fprintf(c.errOut, "Unable to find image '%s' locally\n", reference.FamiliarString(named))
		}
		if err := c.pullImage(ctx, api, cfg.Config.Image, platform, opts.Quiet); err != nil {
			return "", err
		}
		res, err = api.ContainerCreate(ctx, createOpts)
	}
	if err != nil {
		return "", err
	}
	for _, w := range res.Warnings {
		_, _ = fmt.Fprintf(c.errOut, "WARNING: %s\n", w)
	}
	return res.ID, nil
}

// pullImage pulls ref, showing the progress on standard error.
func (c *CLI) pullImage(ctx context.Context, api client.APIClient, ref string, platform *ocispec.Platform, quiet bool) error {
	pullOpts := client.ImagePullOptions{}
	if platform != nil {
		pullOpts.Platforms = []ocispec.Platform{*platform}
	}
	// The implicit pull of run/create uses the stored credentials, as pull does.
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		if auth, err := c.registryAuth(named); err == nil {
			pullOpts.RegistryAuth = auth
		}
	}
	res, err := api.ImagePull(ctx, ref, pullOpts)
	if err != nil {
		return err
	}
	defer res.Close()
	var w io.Writer = c.errOut
	opts := streamOptions{}
	if quiet {
		w = io.Discard
	} else if fd, ok := term.GetFdInfo(c.errOut); ok {
		opts.terminal = true
		if ws, err := term.GetWinsize(fd); err == nil {
			opts.width = int(ws.Width)
		}
	}
	return displayResponse(res, w, opts)
}

// startErrorStatus is the exit status of run when the container cannot be
// created or started, as docker's: 127 when the command is not found, 126
// when it cannot be run, else 125.
func startErrorStatus(err error) int {
	msg := strings.TrimPrefix(err.Error(), "Error response from daemon: ")
	switch {
	case strings.Contains(msg, "executable file not found"),
		strings.Contains(msg, "no such file or directory"),
		strings.Contains(msg, "system cannot find the file specified"):
		return 127
	case strings.Contains(msg, "permission denied"),
		strings.Contains(msg, "is a directory"):
		return 126
	}
	return 125
}

// lookupEnv looks up a variable of berth's environment.
func (c *CLI) lookupEnv(name string) (string, bool) {
	if c.getenv == nil {
		return os.LookupEnv(name)
	}
	v := c.getenv(name)
	return v, v != ""
}
