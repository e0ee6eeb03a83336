package cli

// Flag value types of the container commands, named and worded like the
// docker CLI's (their Type shows in help: "bytes", "decimal", "ulimit"...).

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
)

// checkedList is a repeatable string flag whose values are checked, and
// possibly rewritten, as they are given.
type checkedList struct {
	values *[]string
	check  func(string) (string, error)
}

func newCheckedList(p *[]string, check func(string) (string, error)) *checkedList {
	return &checkedList{values: p, check: check}
}

func (l *checkedList) String() string { return newListValue(l.values).String() }
func (l *checkedList) Type() string   { return "list" }

func (l *checkedList) Set(v string) error {
	if l.check != nil {
		checked, err := l.check(v)
		if err != nil {
			return err
		}
		v = checked
	}
	*l.values = append(*l.values, v)
	return nil
}

// memBytes is a size in bytes given with an optional unit: "64m", "1g".
type memBytes int64

func (m *memBytes) String() string {
	if *m == 0 {
		return "0"
	}
	return units.BytesSize(float64(*m))
}

func (m *memBytes) Set(v string) error {
	n, err := units.RAMInBytes(v)
	*m = memBytes(n)
	return err
}

func (m *memBytes) Type() string { return "bytes" }

// memSwapBytes is --memory-swap: a size, or -1 for unlimited swap.
type memSwapBytes int64

func (m *memSwapBytes) String() string { return (*memBytes)(m).String() }
func (m *memSwapBytes) Type() string   { return "bytes" }

func (m *memSwapBytes) Set(v string) error {
	if v == "-1" {
		*m = -1
		return nil
	}
	return (*memBytes)(m).Set(v)
}

// nanoCPUs is --cpus: a decimal number of CPUs kept in units of 1e-9 CPU.
type nanoCPUs int64

func (c *nanoCPUs) String() string {
	if *c == 0 {
		return ""
	}
	return big.NewRat(int64(*c), 1e9).FloatString(3)
}

func (c *nanoCPUs) Set(v string) error {
	n, err := parseCPUs(v)
	*c = nanoCPUs(n)
	return err
}

func (c *nanoCPUs) Type() string { return "decimal" }

// parseCPUs converts a number of CPUs ("1.5") to nano CPUs, refusing
// values finer than one nano CPU.
func parseCPUs(v string) (int64, error) {
	cpu, ok := new(big.Rat).SetString(v)
	if !ok {
		return 0, fmt.Errorf("failed to parse %v as a rational number", v)
	}
	nano := cpu.Mul(cpu, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return 0, fmt.Errorf("value is too precise")
	}
	return nano.Num().Int64(), nil
}

// ulimitList is --ulimit: repeatable "name=soft[:hard]".
type ulimitList struct{ values []*container.Ulimit }

func (u *ulimitList) String() string {
	var parts []string
	for _, l := range u.values {
		parts = append(parts, l.String())
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func (u *ulimitList) Set(v string) error {
	l, err := units.ParseUlimit(v)
	if err != nil {
		return err
	}
	// a later value for the same name replaces the earlier one
	for i, old := range u.values {
		if old.Name == l.Name {
			u.values[i] = l
			return nil
		}
	}
	u.values = append(u.values, l)
	return nil
}

func (u *ulimitList) Type() string { return "ulimit" }

// validateEnv checks an -e value; "NAME" alone takes the value of NAME
// from the environment of berth when it is set there.
func validateEnv(lookup func(string) (string, bool)) func(string) (string, error) {
	return func(v string) (string, error) {
		name, _, hasValue := strings.Cut(v, "=")
		if name == "" {
			return "", errors.New("invalid environment variable: " + v)
		}
		if hasValue {
			return v, nil
		}
		if value, ok := lookup(name); ok {
			return name + "=" + value, nil
		}
		return v, nil
	}
}

func validateLabel(v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", errors.New("invalid label '': empty name")
	}
	return v, nil
}

func validateAttach(v string) (string, error) {
	s := strings.ToLower(v)
	switch s {
	case "stdin", "stdout", "stderr":
		return s, nil
	}
	return v, errors.New("valid streams are STDIN, STDOUT and STDERR")
}
