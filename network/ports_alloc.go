package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// portKey names one reserved host port.
type portKey struct {
	proto string
	ip    netip.Addr // 0.0.0.0 or one address
	port  uint16
}

// heldPort is a reservation: the bound socket that keeps other processes
// off the port, and the container it is for.
type heldPort struct {
	owner string
	fd    int
}

// portAllocator hands out host ports and holds a bound socket for each, as
// Docker's port allocator and docker-proxy do together. The sockets are
// bound, not listening: a connection that somehow escaped the DNAT rules is
// refused rather than left hanging. Ports.mu guards it.
type portAllocator struct {
	first, last uint16            // the ephemeral range
	next        map[string]uint16 // per protocol: where the next ephemeral search starts
	held        map[portKey]heldPort
}

func newPortAllocator() *portAllocator {
	first, last := ephemeralRange()
	return &portAllocator{first: first, last: last, next: map[string]uint16{}, held: map[portKey]heldPort{}}
}

// ephemeralRange is the kernel's ip_local_port_range, which Docker also
// takes its ephemeral host ports from; Docker's fallback if unreadable.
func ephemeralRange() (uint16, uint16) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		var first, last uint16
		if _, err := fmt.Sscan(string(b), &first, &last); err == nil && first > 0 && first <= last {
			return first, last
		}
	}
	return 49153, 65535
}

// reserve takes a host port for r and binds its socket; cip is the
// container's address, for the error message.
func (a *portAllocator) reserve(owner string, r PortRequest, cip netip.Addr) (PortBinding, error) {
	ip := r.HostIP
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
	}
	if !ip.Is4() {
		return PortBinding{}, errdefs.ErrNotImplemented.WithMessage("publishing ports on IPv6 addresses is not supported by Berth yet")
	}
	b := PortBinding{Proto: r.Proto, HostIP: ip, ContainerPort: r.ContainerPort}
	if r.HostPortFirst != 0 && r.HostPortFirst == r.HostPortLast {
		b.HostPort = r.HostPortFirst
		if a.conflicts(r.Proto, ip, b.HostPort) {
			return PortBinding{}, fmt.Errorf("Bind for %s failed: port is already allocated", hostPortString(ip, b.HostPort))
		}
		if err := a.bind(owner, b); err != nil {
			return PortBinding{}, fmt.Errorf("failed to bind host port for %s:%s:%d/%s: %w",
				hostPortString(ip, b.HostPort), cip, b.ContainerPort, b.Proto, errnoOf(err))
		}
		return b, nil
	}
	first, last, start := r.HostPortFirst, r.HostPortLast, r.HostPortFirst
	ephemeral := first == 0
	if ephemeral {
		first, last = a.first, a.last
		start = max(a.next[r.Proto], first)
		if start > last {
			start = first
		}
	}
	n := int(last) - int(first) + 1
	for i := range n {
		port := uint16(int(first) + (int(start)-int(first)+i)%n)
		if a.conflicts(r.Proto, ip, port) {
			continue
		}
		b.HostPort = port
		if err := a.bind(owner, b); err != nil {
			continue // a host process has it: try the next one
		}
		if ephemeral {
			a.next[r.Proto] = port + 1
		}
		return b, nil
	}
	if ephemeral {
		return PortBinding{}, errors.New("all ports are allocated")
	}
	return PortBinding{}, fmt.Errorf("Bind for %s-%d failed: port is already allocated", hostPortString(ip, first), last)
}

// conflicts reports whether another reservation overlaps: the same port and
// protocol on the same address, or where either side is 0.0.0.0.
func (a *portAllocator) conflicts(proto string, ip netip.Addr, port uint16) bool {
	for k := range a.held {
		if k.proto == proto && k.port == port && (k.ip == ip || k.ip.IsUnspecified() || ip.IsUnspecified()) {
			return true
		}
	}
	return false
}

// bind opens and binds the socket that reserves b's host port.
func (a *portAllocator) bind(owner string, b PortBinding) error {
	typ := unix.SOCK_STREAM
	if b.Proto == "udp" {
		typ = unix.SOCK_DGRAM
	}
	fd, err := unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(b.HostPort), Addr: b.HostIP.As4()}); err != nil {
		unix.Close(fd)
		return err
	}
	a.held[portKey{b.Proto, b.HostIP, b.HostPort}] = heldPort{owner: owner, fd: fd}
	return nil
}

// rebind reserves an existing binding again (after a daemon restart).
func (a *portAllocator) rebind(owner string, b PortBinding) error {
	if h, ok := a.held[portKey{b.Proto, b.HostIP, b.HostPort}]; ok && h.owner == owner {
		return nil
	}
	if a.conflicts(b.Proto, b.HostIP, b.HostPort) {
		return fmt.Errorf("Bind for %s failed: port is already allocated", hostPortString(b.HostIP, b.HostPort))
	}
	return a.bind(owner, b)
}

// release closes the sockets of owner's reservations.
func (a *portAllocator) release(owner string) {
	for k, h := range a.held {
		if h.owner == owner {
			unix.Close(h.fd)
			delete(a.held, k)
		}
	}
}

func hostPortString(ip netip.Addr, port uint16) string {
	return net.JoinHostPort(ip.String(), strconv.Itoa(int(port)))
}

// errnoOf unwraps a syscall error to its errno, whose text ("address
// already in use") is what Docker's message ends with.
func errnoOf(err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}
