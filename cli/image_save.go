package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// ImageSaveOptions are the options of "berth save".
type ImageSaveOptions struct {
	Images    []string
	Output    string // file; standard output when empty
	Platforms []string
}

func newImageSaveCommand(c *CLI, use string) *cobra.Command {
	var opts ImageSaveOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Images = args
			return runImageSave(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth image save", "berth save")
	flags := cmd.Flags()
	flags.StringVarP(&opts.Output, "output", "o", "", "Write to a file, instead of STDOUT")
	flags.StringSliceVar(&opts.Platforms, "platform", nil, `Save only the given platform(s). Formatted as a comma-separated list of "os[/arch[/variant]]" (e.g., "linux/amd64,linux/arm64/v8")`)
	return cmd
}

func runImageSave(ctx context.Context, c *CLI, opts ImageSaveOptions) error {
	if opts.Output == "" && c.outIsTerminal() {
		return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
	}
	platforms, err := platformList(opts.Platforms)
	if err != nil {
		return err
	}
	var saveOpts []client.ImageSaveOption
	if len(platforms) > 0 {
		saveOpts = append(saveOpts, client.ImageSaveWithPlatforms(platforms...))
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ImageSave(ctx, opts.Images, saveOpts...)
	if err != nil {
		return err
	}
	defer res.Close()
	if opts.Output == "" {
		_, err = io.Copy(c.out, res)
		return err
	}
	if err := writeFileAtomic(opts.Output, res); err != nil {
		return fmt.Errorf("failed to save image: %w", err)
	}
	return nil
}

// writeFileAtomic writes r to path through a temporary file in the same
// directory, renamed into place once complete, so that a failed save never
// leaves a truncated archive behind.
func writeFileAtomic(path string, r io.Reader) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("invalid output path: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("invalid output path: stat %s: not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err := io.Copy(f, r); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}
