package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// dockerPyScript drives berthd through docker-py (the Python SDK): images,
// run, logs, exec, stats, top, networks, volumes, stop/wait, build, prune
// and events. It prints one line per check; the test compares them.
const dockerPyScript = `
import docker, io, sys, time
c = docker.DockerClient(base_url=sys.argv[1])
img = sys.argv[2]
print("version", c.version()["ApiVersion"])
print("run", c.containers.run(img, "echo hi", remove=True))
ct = c.containers.run(img, "sh -c 'echo start; exec sleep 30'", detach=True, name="py1")
time.sleep(0.5)
print("logs", ct.logs())
print("exec", ct.exec_run("echo inexec"))
s = ct.stats(stream=False)
print("stats", all(k in s for k in ("cpu_stats", "memory_stats", "pids_stats")))
print("top", ct.top()["Titles"][-1])
ct.reload()
print("status", ct.status)
net = c.networks.create("pynet", driver="bridge")
net.connect(ct)
ct.reload()
print("networks", sorted(ct.attrs["NetworkSettings"]["Networks"]))
net.disconnect(ct)
net.remove()
v = c.volumes.create("pyvol")
print("volume", v.name)
ct.stop(timeout=1)
print("wait", ct.wait()["StatusCode"])
ct.remove()
v.remove()
df = io.BytesIO(("FROM %s\nRUN echo built > /b\nCMD [\"cat\", \"/b\"]\n" % img).encode())
built, _ = c.images.build(fileobj=df, tag="pybuilt", rm=True)
print("build", built.tags, c.containers.run("pybuilt", remove=True))
print("events", any(e.get("Type") == "container" for e in c.events(since=0, until=int(time.time()) + 1, decode=True)))
`

// TestDockerPy: the Python SDK works against berthd unchanged (skipped when
// python3 or its docker module is missing).
func TestDockerPy(t *testing.T) {
	if err := exec.Command("python3", "-c", "import docker").Run(); err != nil {
		t.Skip("python3 with the docker module (docker-py) is not installed")
	}
	d := startDaemon(t)
	img := busybox(t, d)
	out, err := exec.Command("python3", "-c", dockerPyScript, d.Host, img).CombinedOutput()
	if err != nil {
		t.Fatalf("docker-py: %v\n%s", err, out)
	}
	want := []string{
		"version 1.47",
		"run b'hi\\n'",
		"logs b'start\\n'",
		"exec ExecResult(exit_code=0, output=b'inexec\\n')",
		"stats True",
		"top CMD",
		"status running",
		"networks ['bridge', 'pynet']",
		"volume pyvol",
		"wait 137",
		"build ['pybuilt:latest'] b'built\\n'",
		"events True",
	}
	if got := lines(string(out)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("docker-py output:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
}
