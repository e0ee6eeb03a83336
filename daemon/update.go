package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"

	"github.com/berth/berth/container"
	"github.com/berth/berth/runtime/spec"
	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
)

// Update changes a container's resources and restart policy, as
// POST /containers/{id}/update: zero fields are left as they are; a
// running (or paused) container gets the new cgroup settings at once
// through the runtime; the HostConfig is saved only when that worked.
func (cs *Containers) Update(ctx context.Context, ref string, u containertypes.UpdateConfig) (containertypes.UpdateResponse, error) {
	c, err := cs.store.Get(ref)
	if err != nil {
		return containertypes.UpdateResponse{}, err
	}
	warnings, err := verifyResources(&u.Resources, true)
	resp := containertypes.UpdateResponse{Warnings: warnings}
	if resp.Warnings == nil {
		resp.Warnings = []string{}
	}
	if err != nil {
		return resp, err
	}
	if u.RestartPolicy.Name != "" {
		if err := containertypes.ValidateRestartPolicy(u.RestartPolicy); err != nil {
			return resp, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
	}
	c.Lock()
	defer c.Unlock()
	if err := cs.updateLocked(ctx, c, u); err != nil {
		return resp, err
	}
	cs.publishLocked(c, eventtypes.ActionUpdate, nil)
	return resp, nil
}

func (cs *Containers) updateLocked(ctx context.Context, c *container.Container, u containertypes.UpdateConfig) error {
	cannot := func(withMessage func(string) error, msg string) error {
		return withMessage(fmt.Sprintf("Cannot update container %s: %s", c.ID, msg))
	}
	switch {
	case c.State.RemovalInProgress:
		return cannot(errdefs.ErrConflict.WithMessage, `container is marked for removal and cannot be "update"`)
	case c.State.Starting: // the start reads HostConfig without the lock
		return cannot(errdefs.ErrConflict.WithMessage, "container is being started, try again")
	}
	merged := c.HostConfig.Resources
	if msg := mergeResources(&merged, u.Resources); msg != "" {
		return cannot(errdefs.ErrInvalidArgument.WithMessage, msg)
	}
	policy := c.HostConfig.RestartPolicy
	if u.RestartPolicy.Name != "" {
		if c.HostConfig.AutoRemove && !u.RestartPolicy.IsNone() {
			return cannot(errdefs.ErrInvalidArgument.WithMessage, "Restart policy cannot be updated because AutoRemove is enabled for the container")
		}
		policy = u.RestartPolicy
	}
	if c.State.IsRunning() {
		if err := cs.runtimeUpdate(ctx, c, merged); err != nil {
			return cannot(errdefs.ErrUnknown.WithMessage, err.Error())
		}
	}
	old := *c.HostConfig
	c.HostConfig.Resources, c.HostConfig.RestartPolicy = merged, policy
	if err := cs.store.Save(c); err != nil {
		*c.HostConfig = old
		return err
	}
	return nil
}

// mergeResources applies the non-zero fields of u to r, with dockerd's
// rules for what cannot change together; it returns why not, or "".
func mergeResources(r *containertypes.Resources, u containertypes.Resources) string {
	switch {
	case u.NanoCPUs > 0 && r.CPUPeriod > 0:
		return "Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set"
	case u.NanoCPUs > 0 && r.CPUQuota > 0:
		return "Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set"
	case u.CPUPeriod > 0 && r.NanoCPUs > 0:
		return "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set"
	case u.CPUQuota > 0 && r.NanoCPUs > 0:
		return "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set"
	case u.Memory != 0 && u.Memory > r.MemorySwap && u.MemorySwap == 0:
		// dockerd's rule, which also refuses a first memory limit without
		// a swap limit (the stored swap is 0 then)
		return "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
	}
	set := func(dst *int64, v int64) {
		if v != 0 {
			*dst = v
		}
	}
	set(&r.CPUShares, u.CPUShares)
	set(&r.NanoCPUs, u.NanoCPUs)
	set(&r.CPUPeriod, u.CPUPeriod)
	set(&r.CPUQuota, u.CPUQuota)
	set(&r.CPURealtimePeriod, u.CPURealtimePeriod)
	set(&r.CPURealtimeRuntime, u.CPURealtimeRuntime)
	set(&r.Memory, u.Memory)
	set(&r.MemorySwap, u.MemorySwap)
	set(&r.MemoryReservation, u.MemoryReservation)
	if u.BlkioWeight != 0 {
		r.BlkioWeight = u.BlkioWeight
	}
	if u.CpusetCpus != "" {
		r.CpusetCpus = u.CpusetCpus
	}
	if u.CpusetMems != "" {
		r.CpusetMems = u.CpusetMems
	}
	if u.PidsLimit != nil {
		r.PidsLimit = u.PidsLimit
	}
	if r.Memory > 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory {
		return "Minimum memoryswap limit should be larger than memory limit, see usage"
	}
	return ""
}

// runtimeUpdate applies r to the running container with `runc update`,
// which takes the OCI resources as JSON on stdin.
func (cs *Containers) runtimeUpdate(ctx context.Context, c *container.Container, r containertypes.Resources) error {
	res, err := spec.UpdateResources(r)
	if err != nil {
		return err
	}
	body, err := json.Marshal(res)
	if err != nil {
		return err
	}
	rt, ok := cs.cfg.Runtimes[c.Runtime]
	if !ok {
		return fmt.Errorf("unknown runtime %q", c.Runtime)
	}
	args := append(append([]string{}, rt.Args...), "--root", cs.runtimeRoot(c.Runtime), "update", "--resources", "-", c.ID)
	cmd := exec.CommandContext(ctx, rt.Path, args...)
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s update: %s", rt.Path, strings.TrimSpace(string(out)))
	}
	return nil
}
