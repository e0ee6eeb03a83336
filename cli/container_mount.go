package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/mount"
)

// mountList is --mount: repeatable CSV "type=bind,source=/a,target=/b,ro".
// The type defaults to volume, as in docker.
type mountList struct{ values []mount.Mount }

func (m *mountList) Type() string { return "mount" }

func (m *mountList) String() string {
	var parts []string
	for _, v := range m.values {
		parts = append(parts, fmt.Sprintf("%s:%s:%s", v.Type, v.Source, v.Target))
	}
	return strings.Join(parts, ", ")
}

func (m *mountList) Set(value string) error {
	fields, err := csv.NewReader(strings.NewReader(value)).Read()
	if err != nil {
		return err
	}
	mnt := mount.Mount{Type: mount.TypeVolume}
	for _, field := range fields {
		if err := setMountField(&mnt, field); err != nil {
			return err
		}
	}
	if err := checkMount(mnt); err != nil {
		return err
	}
	m.values = append(m.values, mnt)
	return nil
}

func checkMount(mnt mount.Mount) error {
	switch {
	case mnt.Type == "":
		return errors.New("type is required")
	case mnt.Target == "":
		return errors.New("target is required")
	case mnt.VolumeOptions != nil && mnt.Type != mount.TypeVolume:
		return fmt.Errorf("cannot mix 'volume-*' options with mount type '%s'", mnt.Type)
	case mnt.BindOptions != nil && mnt.Type != mount.TypeBind:
		return fmt.Errorf("cannot mix 'bind-*' options with mount type '%s'", mnt.Type)
	case mnt.TmpfsOptions != nil && mnt.Type != mount.TypeTmpfs:
		return fmt.Errorf("cannot mix 'tmpfs-*' options with mount type '%s'", mnt.Type)
	}
	return nil
}

func setMountField(mnt *mount.Mount, field string) error {
	key, val, hasValue := strings.Cut(field, "=")
	key = strings.ToLower(key)
	if !hasValue {
		switch key {
		case "readonly", "ro":
			mnt.ReadOnly = true
		case "volume-nocopy":
			volumeOptions(mnt).NoCopy = true
		case "bind-nonrecursive":
			bindOptions(mnt).NonRecursive = true
		default:
			return fmt.Errorf("invalid field '%s' must be a key=value pair", field)
		}
		return nil
	}
	invalid := fmt.Errorf("invalid value for %s: %s", key, val)
	switch key {
	case "type":
		mnt.Type = mount.Type(strings.ToLower(val))
	case "source", "src":
		mnt.Source = val
		if val == "." || strings.HasPrefix(val, "./") {
			if abs, err := filepath.Abs(val); err == nil {
				mnt.Source = abs
			}
		}
	case "target", "dst", "destination":
		mnt.Target = val
	case "readonly", "ro":
		b, err := strconv.ParseBool(val)
		if err != nil {
			return invalid
		}
		mnt.ReadOnly = b
	case "consistency":
		mnt.Consistency = mount.Consistency(strings.ToLower(val))
	case "bind-propagation":
		bindOptions(mnt).Propagation = mount.Propagation(strings.ToLower(val))
	case "bind-nonrecursive":
		b, err := strconv.ParseBool(val)
		if err != nil {
			return invalid
		}
		bindOptions(mnt).NonRecursive = b
	case "volume-nocopy":
		b, err := strconv.ParseBool(val)
		if err != nil {
			return invalid
		}
		volumeOptions(mnt).NoCopy = b
	case "volume-subpath":
		volumeOptions(mnt).Subpath = val
	case "volume-driver":
		volumeDriver(mnt).Name = val
	case "volume-opt", "volume-label":
		k, v, ok := strings.Cut(val, "=")
		if !ok {
			return invalid
		}
		if key == "volume-label" {
			opts := volumeOptions(mnt)
			if opts.Labels == nil {
				opts.Labels = map[string]string{}
			}
			opts.Labels[k] = v
		} else {
			d := volumeDriver(mnt)
			if d.Options == nil {
				d.Options = map[string]string{}
			}
			d.Options[k] = v
		}
	case "tmpfs-size":
		n, err := units.RAMInBytes(val)
		if err != nil {
			return invalid
		}
		tmpfsOptions(mnt).SizeBytes = n
	case "tmpfs-mode":
		n, err := strconv.ParseUint(val, 8, 32)
		if err != nil {
			return invalid
		}
		tmpfsOptions(mnt).Mode = os.FileMode(n)
	default:
		return fmt.Errorf("unexpected key '%s' in '%s'", key, field)
	}
	return nil
}

func volumeOptions(m *mount.Mount) *mount.VolumeOptions {
	if m.VolumeOptions == nil {
		m.VolumeOptions = &mount.VolumeOptions{}
	}
	return m.VolumeOptions
}

func volumeDriver(m *mount.Mount) *mount.Driver {
	opts := volumeOptions(m)
	if opts.DriverConfig == nil {
		opts.DriverConfig = &mount.Driver{}
	}
	return opts.DriverConfig
}

func bindOptions(m *mount.Mount) *mount.BindOptions {
	if m.BindOptions == nil {
		m.BindOptions = &mount.BindOptions{}
	}
	return m.BindOptions
}

func tmpfsOptions(m *mount.Mount) *mount.TmpfsOptions {
	if m.TmpfsOptions == nil {
		m.TmpfsOptions = &mount.TmpfsOptions{}
	}
	return m.TmpfsOptions
}
