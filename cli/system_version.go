package cli

import (
	"context"
	"io"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// versionTemplate is docker's layout of "version".
const versionTemplate = `{{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:	{{.Version}}
 API version:	{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:	{{.GoVersion}}
 Git commit:	{{.GitCommit}}
 Built:	{{.BuildTime}}
 OS/Arch:	{{.Os}}/{{.Arch}}
 Context:	{{.Context}}
{{- end}}

{{- if ne .Server nil}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:	{{.Version}}
  API version:	{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:	{{index .Details "GoVersion"}}
  Git commit:	{{index .Details "GitCommit"}}
  Built:	{{index .Details "BuildTime"}}
  OS/Arch:	{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:	{{index .Details "Experimental"}}
  {{- else }}
  Version:	{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:	{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`

// versionInfo is what "version" templates see: .Client and .Server.
type versionInfo struct {
	Client clientVersion
	Server *system.VersionResponse
}

type platformInfo struct {
	Name string `json:"Name,omitempty"`
}

// clientVersion describes the berth binary, with docker's JSON names.
type clientVersion struct {
	Platform          *platformInfo `json:"Platform,omitempty"`
	Version           string        `json:"Version,omitempty"`
	APIVersion        string        `json:"ApiVersion,omitempty"`
	DefaultAPIVersion string        `json:"DefaultAPIVersion,omitempty"`
	GitCommit         string        `json:"GitCommit,omitempty"`
	GoVersion         string        `json:"GoVersion,omitempty"`
	Os                string        `json:"Os,omitempty"`
	Arch              string        `json:"Arch,omitempty"`
	BuildTime         string        `json:"BuildTime,omitempty"`
	Context           string        `json:"Context"`
}

func newClientVersion(apiVersion string) clientVersion {
	return clientVersion{
		Version:           Version,
		APIVersion:        apiVersion,
		DefaultAPIVersion: client.MaxAPIVersion,
		GitCommit:         GitCommit,
		GoVersion:         runtime.Version(),
		Os:                runtime.GOOS,
		Arch:              runtime.GOARCH,
		BuildTime:         reformatDate(BuildTime),
		Context:           "default",
	}
}

func newVersionCommand(c *CLI) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show the Berth version information",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersion(cmd.Context(), c, format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", inspectFormatHelp)
	return topCommand(cmd, 10)
}

func runVersion(ctx context.Context, c *CLI, format string) error {
	tmpl, err := versionTemplateFor(format)
	if err != nil {
		return StatusError{Status: "template parsing error: " + err.Error(), StatusCode: exitTemplateError}
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	sv, err := api.ServerVersion(ctx, client.ServerVersionOptions{})
	info := versionInfo{Client: newClientVersion(api.ClientVersion())}
	if err == nil {
		info.Server = serverVersion(sv)
	}
	if werr := writeVersion(c.out, info, tmpl); werr != nil && err == nil {
		err = werr
	}
	return err
}

func versionTemplateFor(format string) (*template.Template, error) {
	switch format {
	case "":
		format = versionTemplate
	case jsonFormatKey:
		format = jsonTemplate
	}
	return template.New("version").Funcs(templateFuncs).
		Funcs(template.FuncMap{"getDetailsOrder": detailsOrder}).Parse(format)
}

// writeVersion renders info with tmpl, aligned like docker's output.
func writeVersion(w io.Writer, info versionInfo, tmpl *template.Template) error {
	tw := tabwriter.NewWriter(w, 20, 1, 1, ' ', 0)
	err := tmpl.Execute(tw, info)
	_, _ = tw.Write([]byte("\n"))
	_ = tw.Flush()
	return err
}

func detailsOrder(v system.ComponentVersion) []string {
	return slices.Sorted(maps.Keys(v.Details))
}

// serverVersion turns the client's result back into the API's response
// type, with an "Engine" component as docker shows it.
func serverVersion(sv client.ServerVersionResult) *system.VersionResponse {
	v := &system.VersionResponse{
		Platform:      system.PlatformInfo{Name: sv.Platform.Name},
		Version:       sv.Version,
		APIVersion:    sv.APIVersion,
		MinAPIVersion: sv.MinAPIVersion,
		Os:            sv.Os,
		Arch:          sv.Arch,
		Experimental:  sv.Experimental, //lint:ignore SA1019 docker version still prints it
	}
	engine := false
	for _, comp := range sv.Components {
		comp.Details = maps.Clone(comp.Details)
		if comp.Name == "Engine" {
			engine = true
			v.GitCommit = comp.Details["GitCommit"]
			v.GoVersion = comp.Details["GoVersion"]
			v.KernelVersion = comp.Details["KernelVersion"]
			v.BuildTime = comp.Details["BuildTime"]
			if bt, ok := comp.Details["BuildTime"]; ok {
				comp.Details["BuildTime"] = reformatDate(bt)
			}
		}
		v.Components = append(v.Components, comp)
	}
	if !engine {
		v.Components = append(v.Components, system.ComponentVersion{
			Name:    "Engine",
			Version: sv.Version,
			Details: map[string]string{
				"ApiVersion":    sv.APIVersion,
				"MinAPIVersion": sv.MinAPIVersion,
				"Os":            sv.Os,
				"Arch":          sv.Arch,
				"Experimental":  strconv.FormatBool(sv.Experimental), //lint:ignore SA1019 docker version still prints it
			},
		})
	}
	return v
}

// reformatDate shows an RFC 3339 build time as docker does.
func reformatDate(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.Format(time.ANSIC)
	}
	return s
}
