package api

import (
	"encoding/json"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestImageInspectAt(t *testing.T) {
	resp := image.InspectResponse{ID: "sha256:x", Size: 42, Config: &dockerspec.DockerOCIImageConfig{
		ImageConfig: ocispec.ImageConfig{Cmd: []string{"sh"}, WorkingDir: "/app"}}}
	decode := func(v string) map[string]any {
		body, err := ImageInspectAt(resp, "", v)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	cur := decode("1.50")
	if _, ok := cur["Parent"]; ok {
		t.Error("1.50 gained legacy fields")
	}
	m := decode("1.47")
	cfg := m["Config"].(map[string]any)
	if m["Parent"] != "" || m["Comment"] != "" || cfg["Hostname"] != "" || cfg["AttachStdin"] != false || cfg["WorkingDir"] != "/app" {
		t.Errorf("1.47 body: %v", m)
	}
	if cmd := cfg["Cmd"].([]any); len(cmd) != 1 || cmd[0] != "sh" {
		t.Errorf("Cmd overwritten: %v", cfg["Cmd"])
	}
	if _, ok := m["ContainerConfig"]; ok {
		t.Error("1.47 has ContainerConfig")
	}
	old := decode("1.41")
	if old["VirtualSize"] != float64(42) || old["Container"] != "" || old["ContainerConfig"] == nil {
		t.Errorf("1.41 body: %v", old)
	}
}
