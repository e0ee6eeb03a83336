package cli

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestTarContextHonoursDockerignore(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"Dockerfile": "FROM x\n", ".dockerignore": "*.log\nDockerfile\nsecret/\n!secret/public\n",
		"a.txt": "a", "b.log": "b", "secret/key": "k", "secret/public": "p"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	r, err := tarContext(dir, "Dockerfile", &contextFile{name: ".dockerfile.extra", data: []byte("FROM y\n")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d", h.Name, h.Uid, h.Gid)
		}
		names = append(names, h.Name)
	}
	want := []string{".dockerignore", "Dockerfile", "a.txt", "secret/", "secret/public", ".dockerfile.extra"}
	if !slices.Equal(names, want) {
		t.Errorf("tar holds %v, want %v", names, want)
	}
}

func TestBuildArgs(t *testing.T) {
	env := map[string]string{"FROM_ENV": "e"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	got := buildArgs([]string{"A=1", "B=", "FROM_ENV", "UNSET"}, lookup)
	if *got["A"] != "1" || *got["B"] != "" || *got["FROM_ENV"] != "e" || got["UNSET"] != nil || len(got) != 4 {
		t.Errorf("build args: %v", got)
	}
}
