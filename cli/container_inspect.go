package cli

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// InspectOptions are the options of "berth inspect" and "berth container
// inspect".
type InspectOptions struct {
	Refs   []string
	Format string
	Size   bool
	Type   string // "berth inspect" only; "" tries each kind of object
}

func newContainerInspectCommand(c *CLI) *cobra.Command {
	var opts InspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Display detailed information on one or more containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Refs, opts.Type = args, "container"
			return runInspect(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&opts.Format, "format", "f", "", inspectFormatHelp)
	flags.BoolVarP(&opts.Size, "size", "s", false, "Display total file sizes")
	return cmd
}

func newInspectCommand(c *CLI) *cobra.Command {
	var opts InspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on Berth objects",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Refs = args
			return runInspect(cmd.Context(), c, opts)
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&opts.Format, "format", "f", "", inspectFormatHelp)
	flags.BoolVarP(&opts.Size, "size", "s", false, "Display total file sizes if the type is container")
	flags.StringVar(&opts.Type, "type", "", "Only inspect objects of the given type")
	return cmd
}

// inspectTypes are the object types docker's inspect knows; berth looks
// up the first four.
var inspectTypes = []string{"config", "container", "image", "network", "node", "plugin", "secret", "service", "task", "volume"}

// runInspect prints the objects. With a type, the daemon's error for a
// missing object is reported; without, containers are tried first, then
// images, networks and volumes, and "No such object" is reported.
func runInspect(ctx context.Context, c *CLI, opts InspectOptions) error {
	if opts.Type != "" && !slices.Contains(inspectTypes, opts.Type) {
		quoted := make([]string, len(inspectTypes))
		for i, t := range inspectTypes {
			quoted[i] = fmt.Sprintf("%q", t)
		}
		return fmt.Errorf("unknown type: %q: must be one of %s", opts.Type, strings.Join(quoted, ", "))
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	getters := objectGetters(ctx, api, opts.Size)
	return writeInspect(c.out, opts.Refs, opts.Format, func(ref string) (any, []byte, error) {
		if opts.Type != "" {
			get, ok := getters[opts.Type]
			if !ok {
				return nil, nil, fmt.Errorf("Error: No such %s: %s", opts.Type, ref)
			}
			return get(ref)
		}
		for _, kind := range []string{"container", "image", "network", "volume"} {
			typed, raw, err := getters[kind](ref)
			if err == nil {
				if opts.Size && kind != "container" {
					_, _ = fmt.Fprintln(c.errOut, "WARNING: --size ignored for", kind)
				}
				return typed, raw, nil
			}
			if !cerrdefs.IsNotFound(err) {
				return nil, nil, err
			}
		}
		return nil, nil, fmt.Errorf("Error: No such object: %s", ref)
	})
}

// objectGetters fetch one object of each kind, with the daemon's JSON.
func objectGetters(ctx context.Context, api client.APIClient, size bool) map[string]inspectGetter {
	return map[string]inspectGetter{
		"container": func(ref string) (any, []byte, error) {
			res, err := api.ContainerInspect(ctx, ref, client.ContainerInspectOptions{Size: size})
			return res.Container, res.Raw, err
		},
		"image": func(ref string) (any, []byte, error) {
			var raw bytes.Buffer
			res, err := api.ImageInspect(ctx, ref, client.ImageInspectWithRawResponse(&raw))
			return res.InspectResponse, raw.Bytes(), err
		},
		"network": func(ref string) (any, []byte, error) {
			res, err := api.NetworkInspect(ctx, ref, client.NetworkInspectOptions{})
			return res.Network, res.Raw, err
		},
		"volume": func(ref string) (any, []byte, error) {
			res, err := api.VolumeInspect(ctx, ref, client.VolumeInspectOptions{})
			return res.Volume, res.Raw, err
		},
	}
}
