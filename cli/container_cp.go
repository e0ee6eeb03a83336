package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// CopyOptions are the options of "berth cp".
type CopyOptions struct {
	Source, Destination string
	FollowLink          bool // -L: copy what a source symlink points to
	CopyUIDGID          bool // -a: keep the source's owners (into a container)
	Quiet               bool // no summary line; the default when stdout is not a terminal
}

func newCopyCommand(c *CLI) *cobra.Command {
	var opts CopyOptions
	cmd := &cobra.Command{
		Use: `cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-
	berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH`,
		Short: "Copy files/folders between a container and the local filesystem",
		Long: "Copy files/folders between a container and the local filesystem\n\n" +
			"Use '-' as the source to read a tar archive from stdin\n" +
			"and extract it to a directory destination in a container.\n" +
			"Use '-' as the destination to stream a tar archive of a\n" +
			"container source to stdout.",
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "" {
				return errors.New("source can not be empty")
			}
			if args[1] == "" {
				return errors.New("destination can not be empty")
			}
			opts.Source, opts.Destination = args[0], args[1]
			if !cmd.Flags().Changed("quiet") {
				opts.Quiet = !c.outIsTerminal()
			}
			return runCopy(cmd.Context(), c, opts)
		},
	}
	withAliases(cmd, "berth container cp", "berth cp")
	flags := cmd.Flags()
	flags.BoolVarP(&opts.FollowLink, "follow-link", "L", false, "Always follow symbol link in SRC_PATH")
	flags.BoolVarP(&opts.CopyUIDGID, "archive", "a", false, "Archive mode (copy all uid/gid information)")
	flags.BoolVarP(&opts.Quiet, "quiet", "q", false, "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached")
	return cmd
}

// splitCopyArg splits CONTAINER:PATH; an absolute or dot-relative local
// path never names a container, even with a colon in it.
func splitCopyArg(arg string) (container, path string) {
	if filepath.IsAbs(arg) {
		return "", arg
	}
	ctr, p, ok := strings.Cut(arg, ":")
	if !ok || strings.HasPrefix(ctr, ".") {
		return "", arg
	}
	return ctr, p
}

func runCopy(ctx context.Context, c *CLI, opts CopyOptions) error {
	srcCtr, srcPath := splitCopyArg(opts.Source)
	dstCtr, dstPath := splitCopyArg(opts.Destination)
	switch {
	case srcCtr != "" && dstCtr != "":
		return errors.New("copying between containers is not supported")
	case srcCtr != "":
		return copyFromContainer(ctx, c, opts, srcCtr, srcPath, dstPath)
	case dstCtr != "":
		return copyToContainer(ctx, c, opts, srcPath, dstCtr, dstPath)
	}
	return errors.New("must specify at least one container source")
}

func copyFromContainer(ctx context.Context, c *CLI, opts CopyOptions, ctr, srcPath, dstPath string) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	if dstPath != "-" {
		if dstPath, err = localAbsPath(dstPath); err != nil {
			return err
		}
	}
	var rebaseName string
	if opts.FollowLink {
		st, err := api.ContainerStatPath(ctx, ctr, client.ContainerStatPathOptions{Path: srcPath})
		if err == nil && st.Stat.Mode&os.ModeSymlink != 0 {
			target := st.Stat.LinkTarget
			if !filepath.IsAbs(target) {
				parent, _ := splitPathDirEntry(srcPath)
				target = filepath.Join(parent, target)
			}
			srcPath, rebaseName = rebasedTarget(srcPath, target)
		}
	}
	res, err := api.CopyFromContainer(ctx, ctr, client.CopyFromContainerOptions{SourcePath: srcPath})
	if err != nil {
		return err
	}
	defer res.Content.Close()
	if dstPath == "-" {
		_, err = io.Copy(c.out, res.Content)
		return err
	}
	counted := &countingReader{r: res.Content}
	var content io.Reader = counted
	_, srcBase := splitPathDirEntry(srcPath)
	if rebaseName != "" {
		content = rebaseTar(content, srcBase, rebaseName)
	}
	src := copyInfo{Path: srcPath, Exists: true, IsDir: res.Stat.Mode.IsDir()}
	if err := extractCopy(content, src, srcBase, rebaseName, dstPath); err != nil {
		return err
	}
	return copySummary(c, opts, counted.n, dstPath)
}

func copyToContainer(ctx context.Context, c *CLI, opts CopyOptions, srcPath, ctr, dstPath string) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	if srcPath != "-" {
		if srcPath, err = localAbsPath(srcPath); err != nil {
			return err
		}
	}
	dst := copyInfo{Path: dstPath}
	if st, err := api.ContainerStatPath(ctx, ctr, client.ContainerStatPathOptions{Path: dstPath}); err == nil {
		if st.Stat.Mode&os.ModeSymlink != 0 {
			target := st.Stat.LinkTarget
			if !filepath.IsAbs(target) {
				parent, _ := splitPathDirEntry(dstPath)
				target = filepath.Join(parent, target)
			}
			dst.Path = target
			st, err = api.ContainerStatPath(ctx, ctr, client.ContainerStatPathOptions{Path: target})
		}
		if err == nil {
			if m := st.Stat.Mode; !m.IsDir() && !m.IsRegular() {
				return fmt.Errorf(`destination "%s:%s" must be a directory or a regular file`, ctr, dstPath)
			}
			dst.Exists, dst.IsDir = true, st.Stat.Mode.IsDir()
		}
		// Other errors: assume the parent exists; the extraction tells.
	}
	var content io.Reader
	counted := &countingReader{}
	dstDir := dst.Path
	if srcPath == "-" {
		if !dst.IsDir {
			return fmt.Errorf(`destination "%s:%s" must be a directory`, ctr, dstPath)
		}
		counted.r = c.in
		content = counted
	} else {
		src, err := localSourceInfo(srcPath, opts.FollowLink)
		if err != nil {
			return err
		}
		var name string
		if dstDir, name, err = prepareCopy(src, dst); err != nil {
			return err
		}
		tarball := tarLocal(src.Path, name)
		defer tarball.Close()
		counted.r = tarball
		content = counted
	}
	_, err = api.CopyToContainer(ctx, ctr, client.CopyToContainerOptions{DestinationPath: dstDir, Content: content, CopyUIDGID: opts.CopyUIDGID})
	if err != nil {
		return err
	}
	return copySummary(c, opts, counted.n, ctr+":"+dstPath)
}

// copySummary prints docker's closing line unless quiet. As docker 28's,
// the size is what went over the wire: the tar's bytes.
func copySummary(c *CLI, opts CopyOptions, size int64, dest string) error {
	if opts.Quiet {
		return nil
	}
	_, err := fmt.Fprintf(c.errOut, "Successfully copied %s to %s\n", units.HumanSizeWithPrecision(float64(size), 3), dest)
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	return n, err
}
