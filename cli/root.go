package cli

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/term"
	"github.com/spf13/cobra"
)

// NewRootCommand builds the berth command tree. Global flags are flags of
// the root command and come before the command name, as in docker.
func NewRootCommand(c *CLI) *cobra.Command {
	root := &cobra.Command{
		Use:                   "berth [OPTIONS] COMMAND [ARG...]",
		Short:                 "A self-sufficient runtime for containers",
		SilenceUsage:          true,
		SilenceErrors:         true,
		TraverseChildren:      true,
		DisableFlagsInUseLine: true,
		Version:               fmt.Sprintf("%s, build %s", Version, GitCommit),
		CompletionOptions:     cobra.CompletionOptions{HiddenDefaultCmd: true},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return showHelp(c.errOut)(cmd, args)
			}
			return fmt.Errorf("%[1]s: unknown command: %[1]s %[2]s\n\nRun '%[1]s --help' for more information", cmd.Name(), args[0])
		},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			logger, err := c.opts.logger(c.errOut)
			if err != nil {
				return err
			}
			c.logger = logger
			return nil
		},
	}
	root.SetIn(c.in)
	root.SetOut(c.out)
	root.SetErr(c.errOut)
	root.SetVersionTemplate("Berth version {{.Version}}\n")
	c.opts.install(root.Flags(), c.getenv)
	setupHelp(root)

	root.AddCommand(
		// management commands
		newContainerCommand(c),
		newImageCommand(c),
		newBuilderCommand(c),
		newSystemCommand(c),
		newVolumeCommand(c),
		newNetworkCommand(c),
		// top-level shortcuts, as docker's
		newImagesCommand(c),
		newBuildCommand(c, "build [OPTIONS] PATH | URL | -"),
		newVersionCommand(c),
		newInfoCommand(c),
		newEventsCommand(c),
		newHistoryCommand(c),
		newImportCommand(c),
		newLoadCommand(c),
		newLoginCommand(c),
		newLogoutCommand(c),
		newPullCommand(c),
		newPushCommand(c),
		newRemoveCommand(c),
		newSaveCommand(c),
		newSearchCommand(c),
		newTagCommand(c),
	)
	root.AddCommand(containerShortcuts(c)...)
	disableFlagsInUseLine(root)
	return root
}

// disableFlagsInUseLine keeps cobra from appending "[flags]" to usage
// lines; the Use strings say "[OPTIONS]" as docker's do.
func disableFlagsInUseLine(cmd *cobra.Command) {
	cmd.DisableFlagsInUseLine = true
	for _, sub := range cmd.Commands() {
		disableFlagsInUseLine(sub)
	}
}

// newGroupCommand returns a management command such as "image": run without
// a subcommand it prints its help.
func newGroupCommand(c *CLI, use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  noArgs,
		RunE:  showHelp(c.errOut),
	}
}

func showHelp(w io.Writer) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		cmd.SetOut(w)
		cmd.HelpFunc()(cmd, nil)
		return nil
	}
}

// withAliases sets the annotation that lists every name of a command in its
// help, e.g. "berth image ls, berth image list, berth images".
func withAliases(cmd *cobra.Command, names ...string) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations["aliases"] = strings.Join(names, ", ")
	return cmd
}

// topCommand marks cmd as one of the "Common Commands" of the root help,
// at the given position.
func topCommand(cmd *cobra.Command, position int) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations["category-top"] = strconv.Itoa(position)
	return cmd
}

// setupHelp installs docker's help and usage layout and its flag errors.
func setupHelp(root *cobra.Command) {
	cobra.AddTemplateFuncs(map[string]any{
		"add":                   func(a, b int) int { return a + b },
		"hasAliases":            func(cmd *cobra.Command) bool { return len(cmd.Aliases) > 0 || cmd.Annotations["aliases"] != "" },
		"commandAliases":        commandAliases,
		"topCommands":           topCommands,
		"managementSubCommands": managementSubCommands,
		"operationSubCommands":  operationSubCommands,
		"wrappedFlagUsages":     wrappedFlagUsages,
	})
	root.SetUsageTemplate(usageTemplate)
	root.SetHelpTemplate(helpTemplate)
	root.SetFlagErrorFunc(flagError)
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about the command",
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if target == nil || err != nil || len(rest) > 0 {
				return fmt.Errorf("unknown help topic: %v", strings.Join(args, " "))
			}
			target.HelpFunc()(target, rest)
			return nil
		},
	})
	root.PersistentFlags().BoolP("help", "h", false, "Print usage")
	_ = root.PersistentFlags().MarkShorthandDeprecated("help", "use --help")
	root.PersistentFlags().Lookup("help").Hidden = true
}

func commandAliases(cmd *cobra.Command) string {
	if a := cmd.Annotations["aliases"]; a != "" {
		return a
	}
	names := []string{cmd.CommandPath()}
	for _, alias := range cmd.Aliases {
		names = append(names, cmd.Parent().CommandPath()+" "+alias)
	}
	return strings.Join(names, ", ")
}

func topCommands(cmd *cobra.Command) []*cobra.Command {
	var cmds []*cobra.Command
	if cmd.HasParent() {
		return cmds
	}
	for _, sub := range cmd.Commands() {
		if _, ok := sub.Annotations["category-top"]; ok && sub.IsAvailableCommand() {
			cmds = append(cmds, sub)
		}
	}
	position := func(c *cobra.Command) int {
		n, _ := strconv.Atoi(c.Annotations["category-top"])
		return n
	}
	sort.SliceStable(cmds, func(i, j int) bool { return position(cmds[i]) < position(cmds[j]) })
	return cmds
}

func managementSubCommands(cmd *cobra.Command) []*cobra.Command {
	var cmds []*cobra.Command
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() && sub.HasSubCommands() {
			cmds = append(cmds, sub)
		}
	}
	return cmds
}

func operationSubCommands(cmd *cobra.Command) []*cobra.Command {
	var cmds []*cobra.Command
	for _, sub := range cmd.Commands() {
		if _, top := sub.Annotations["category-top"]; top && !cmd.HasParent() {
			continue
		}
		if sub.IsAvailableCommand() && !sub.HasSubCommands() {
			cmds = append(cmds, sub)
		}
	}
	return cmds
}

func wrappedFlagUsages(cmd *cobra.Command) string {
	width := 80
	if ws, err := term.GetWinsize(0); err == nil && ws.Width > 0 {
		width = int(ws.Width)
	}
	return cmd.Flags().FlagUsagesWrapped(width - 1)
}

const helpTemplate = `{{if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}`

const usageTemplate = `Usage:

{{- if not .HasSubCommands}}  {{.UseLine}}{{end}}
{{- if .HasSubCommands}}  {{ .CommandPath}}{{- if .HasAvailableFlags}} [OPTIONS]{{end}} COMMAND{{end}}

{{if ne .Long ""}}{{ .Long | trim }}{{ else }}{{ .Short | trim }}{{end}}
{{- if hasAliases . }}

Aliases:
  {{ commandAliases . }}

{{- end}}
{{- if .HasExample}}

Examples:
{{ .Example }}

{{- end}}
{{- if .HasParent}}
{{- if .HasAvailableFlags}}

Options:
{{ wrappedFlagUsages . | trimRightSpace}}

{{- end}}
{{- end}}
{{- if topCommands .}}

Common Commands:
{{- range topCommands .}}
  {{rpad .Name (add .NamePadding 1)}}{{.Short}}
{{- end}}
{{- end}}
{{- if managementSubCommands . }}

Management Commands:

{{- range managementSubCommands . }}
  {{rpad .Name (add .NamePadding 1)}}{{.Short}}
{{- end}}

{{- end}}
{{- if operationSubCommands .}}

Commands:

{{- range operationSubCommands . }}
  {{rpad .Name .NamePadding }} {{.Short}}
{{- end}}
{{- end}}
{{- if not .HasParent}}
{{- if .HasAvailableFlags}}

Global Options:
{{ wrappedFlagUsages . | trimRightSpace}}

{{- end}}
{{- end}}

{{- if .HasSubCommands }}

Run '{{.CommandPath}} COMMAND --help' for more information on a command.
{{- end}}
`
