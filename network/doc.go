// Package network gives containers their network: the default bridge
// network ("bridge", the kernel bridge berth0 with a private subnet, like
// Docker's docker0) and user-defined bridge networks (one kernel bridge
// each, "br-" + 12 hex digits of the network ID unless named by an option).
// A Manager owns the bridges, the IP address management (IPAM) of their
// subnets, one network namespace per container with one veth pair per
// network it is on (eth0, eth1, ...), Berth's own nftables table with the
// masquerade and isolation rules, and the embedded DNS resolver of each
// container on a user-defined network (127.0.0.11:53 inside its namespace,
// served by berthd).
//
// The daemon calls New at start, Reconcile with the containers whose network
// must survive (the running ones), Connect (or Attach, for the default
// network) for each network before a container starts (the returned
// Endpoint's NetNSPath goes into the OCI spec), Connect and Disconnect for
// a running container, and Detach when it has stopped. Connect and Detach
// are idempotent, so a restarted daemon can repeat them.
//
// On-disk layout:
//
//	<data-root>/network/          Config.DataDir
//	  bridge.json                 the default network: its ID, subnet, gateway,
//	                              the last address handed out, and every endpoint
//	                              (container ID -> endpoint ID, address, gateway,
//	                              MAC, host-side veth, interface name, DNS names)
//	  networks/<id>.json          a user-defined network: the same, plus its name,
//	                              creation time, bridge, ip-range, internal,
//	                              attachable, labels and driver options
//	                              Every file is replaced atomically (temp file,
//	                              fsync, rename, fsync of the directory).
//	<exec-root>/netns/            Config.RunDir, a shared bind mount of itself
//	                              (as iproute2 makes /run/netns)
//	  <container-id>              bind mount of the container's network namespace
//
// A network's file is the commit point: an endpoint exists once it is listed
// there. Connect writes it last and undoes its kernel work when anything
// fails; a crash in between leaves a netns file or a veth on a bridge that
// no endpoint names, and New and Reconcile remove those, as they release
// endpoints whose namespace is gone (the exec root did not survive a reboot).
//
// Kernel objects are only ever created under names the Manager owns: the
// bridge named by Config.Bridge and those of user-defined networks, veths
// named "veth" + 8 hex digits on those bridges (the container side is created
// directly inside the container's namespace), the nftables table named by
// Config.Table, and the files under Config.RunDir. Nothing else on the host
// is changed, except that net.ipv4.ip_forward is switched on.
package network
