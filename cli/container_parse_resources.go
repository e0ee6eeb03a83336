package cli

import (
	"fmt"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
)

// blkioResources parses --blkio-weight-device and the --device-*-bps and
// --device-*-iops limits with the docker CLI's checks and messages; lists
// are empty rather than null, as docker sends them.
func (o *containerOptions) blkioResources(r *container.Resources) error {
	r.BlkioWeight = o.blkioWeight
	r.BlkioWeightDevice = []*blkiodev.WeightDevice{}
	for _, v := range o.blkioWeightDevice {
		d, err := parseWeightDevice(v)
		if err != nil {
			return err
		}
		r.BlkioWeightDevice = append(r.BlkioWeightDevice, d)
	}
	for _, l := range []struct {
		values []string
		iops   bool
		dst    *[]*blkiodev.ThrottleDevice
	}{
		{o.deviceReadBps, false, &r.BlkioDeviceReadBps}, {o.deviceWriteBps, false, &r.BlkioDeviceWriteBps},
		{o.deviceReadIOps, true, &r.BlkioDeviceReadIOps}, {o.deviceWriteIOps, true, &r.BlkioDeviceWriteIOps},
	} {
		*l.dst = []*blkiodev.ThrottleDevice{}
		for _, v := range l.values {
			d, err := parseThrottleDevice(v, l.iops)
			if err != nil {
				return err
			}
			*l.dst = append(*l.dst, d)
		}
	}
	return nil
}

// splitDevice splits "/dev/x:value" and checks the path.
func splitDevice(v string) (string, string, error) {
	path, value, ok := strings.Cut(v, ":")
	if !ok || path == "" {
		return "", "", fmt.Errorf("bad format: %s", v)
	}
	if !strings.HasPrefix(path, "/dev/") {
		return "", "", fmt.Errorf("bad format for device path: %s", v)
	}
	return path, value, nil
}

func parseWeightDevice(v string) (*blkiodev.WeightDevice, error) {
	path, value, err := splitDevice(v)
	if err != nil {
		return nil, err
	}
	w, err := strconv.ParseUint(value, 10, 16)
	if err != nil || w > 0 && (w < 10 || w > 1000) {
		return nil, fmt.Errorf("invalid weight for device: %s", v)
	}
	return &blkiodev.WeightDevice{Path: path, Weight: uint16(w)}, nil
}

// parseThrottleDevice parses "/dev/x:rate": bytes with an optional unit,
// or a plain number of operations per second.
func parseThrottleDevice(v string, iops bool) (*blkiodev.ThrottleDevice, error) {
	path, value, err := splitDevice(v)
	if err != nil {
		return nil, err
	}
	if iops {
		n, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>. Number must be a positive integer", v)
		}
		return &blkiodev.ThrottleDevice{Path: path, Rate: n}, nil
	}
	n, err := units.RAMInBytes(value)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb", v)
	}
	return &blkiodev.ThrottleDevice{Path: path, Rate: uint64(n)}, nil
}

// deviceRequests turns --gpus into device requests; the daemon decides
// what it can serve ("all" or a count, Docker's "gpu" capability).
func (o *containerOptions) deviceRequests() ([]container.DeviceRequest, error) {
	var reqs []container.DeviceRequest
	for _, v := range o.gpus {
		req := container.DeviceRequest{Count: -1, Capabilities: [][]string{{"gpu"}}}
		if v != "all" {
			n, err := strconv.Atoi(strings.TrimPrefix(v, "count="))
			if err != nil {
				return nil, fmt.Errorf("invalid count (%s): value must be either \"all\" or an integer", v)
			}
			req.Count = n
		}
		reqs = append(reqs, req)
	}
	return reqs, nil
}
