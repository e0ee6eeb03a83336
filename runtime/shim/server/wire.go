package server

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/berth/berth/runtime/shim/protocol"
)

// request is a request line; docs/shim.md lists the fields of each op.
type request struct {
	op                    string
	stdin, stdout, stderr bool
	height, width         uint
	signal                int
	all                   bool
	id                    string
	process               []byte // raw JSON
	tty, detach           bool
}

func decodeRequest(b []byte) (request, error) {
	obj, err := parseObject(b)
	if err != nil {
		return request{}, err
	}
	var d decoder
	r := request{
		op:      d.str(obj["op"]),
		stdin:   d.bool(obj["stdin"]),
		stdout:  d.bool(obj["stdout"]),
		stderr:  d.bool(obj["stderr"]),
		height:  uint(d.int(obj["height"])),
		width:   uint(d.int(obj["width"])),
		signal:  int(d.int(obj["signal"])),
		all:     d.bool(obj["all"]),
		id:      d.str(obj["id"]),
		process: obj["process"],
		tty:     d.bool(obj["tty"]),
		detach:  d.bool(obj["detach"]),
	}
	return r, d.err
}

func decodeOptions(b []byte) (protocol.Options, error) {
	obj, err := parseObject(b)
	if err != nil {
		return protocol.Options{}, err
	}
	var d decoder
	o := protocol.Options{
		Runtime:     d.str(obj["runtime"]),
		RuntimeArgs: d.strs(obj["runtimeArgs"]),
		RuntimeRoot: d.str(obj["runtimeRoot"]),
		Bundle:      d.str(obj["bundle"]),
		Tty:         d.bool(obj["tty"]),
		OpenStdin:   d.bool(obj["openStdin"]),
		StdinOnce:   d.bool(obj["stdinOnce"]),
		ExitFile:    d.str(obj["exitFile"]),
		CgroupPath:  d.str(obj["cgroupPath"]),
	}
	if raw := obj["log"]; !isNull(raw) {
		log, err := parseObject(raw)
		d.keep(err)
		o.Log = protocol.LogOptions{
			Driver:   d.str(log["driver"]),
			Path:     d.str(log["path"]),
			MaxSize:  d.int(log["maxSize"]),
			MaxFiles: int(d.int(log["maxFiles"])),
		}
	}
	return o, d.err
}

// decoder decodes fields, keeping the first error.
type decoder struct{ err error }

func (d *decoder) keep(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) str(raw []byte) string {
	s, err := jsonString(raw)
	d.keep(err)
	return s
}

func (d *decoder) strs(raw []byte) []string {
	s, err := jsonStrings(raw)
	d.keep(err)
	return s
}

func (d *decoder) bool(raw []byte) bool {
	b, err := jsonBool(raw)
	d.keep(err)
	return b
}

func (d *decoder) int(raw []byte) int64 {
	n, err := jsonInt(raw)
	d.keep(err)
	return n
}

// Responses, as the protocol package's types encode.

func encodeState(st protocol.State) []byte {
	return newJSONWriter().int("pid", st.Pid).str("status", st.Status).int("exitCode", st.ExitCode).
		time("exitedAt", st.ExitedAt).int("shimPid", st.ShimPid).bytes()
}

func encodeExit(e protocol.Exit) []byte {
	return newJSONWriter().int("exitCode", e.ExitCode).time("exitedAt", e.ExitedAt).bool("oomKilled", e.OOMKilled).bytes()
}

func encodeExecState(st protocol.ExecState) []byte {
	return newJSONWriter().bool("running", st.Running).int("pid", st.Pid).int("exitCode", st.ExitCode).bytes()
}

func encodeError(msg, kind string) []byte {
	w := newJSONWriter().str("error", msg)
	if kind != "" {
		w.str("kind", kind)
	}
	return w.bytes()
}

// setTerminal returns the OCI process JSON with "terminal" set to tty.
func setTerminal(process []byte, tty bool) ([]byte, error) {
	fields, err := parseFields(process)
	if err != nil {
		return nil, err
	}
	w := newJSONWriter()
	for _, f := range fields {
		if f.key != "terminal" {
			w.raw(f.key, f.raw)
		}
	}
	return w.bool("terminal", tty).bytes(), nil
}

// writeExit records e at path atomically: a temp file in the same
// directory, fsync, rename, fsync of the directory.
func writeExit(path string, e protocol.Exit) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".exit-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(append(encodeExit(e), '\n'))
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return err
}
