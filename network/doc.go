// Package network gives containers their network: for now the default
// bridge network ("bridge", the kernel bridge berth0 with a private subnet,
// like Docker's docker0). A Manager owns the bridge, the IP address
// management (IPAM) of its subnet, one network namespace and veth pair per
// attached container, and Berth's own nftables table with the masquerade
// rule that lets containers reach the outside.
//
// The daemon calls New at start, Reconcile with the containers whose network
// must survive (the running ones), Attach before a container starts (the
// returned Endpoint's NetNSPath goes into the OCI spec) and Detach when it
// has stopped. Attach and Detach are idempotent, so a restarted daemon can
// repeat them.
//
// On-disk layout:
//
//	<data-root>/network/          Config.DataDir
//	  bridge.json                 the default network: its ID, subnet, gateway,
//	                              the last address handed out, and every endpoint
//	                              (container ID -> endpoint ID, address, gateway,
//	                              MAC, host-side veth); replaced atomically (temp
//	                              file, fsync, rename, fsync of the directory)
//	<exec-root>/netns/            Config.RunDir, a shared bind mount of itself
//	                              (as iproute2 makes /run/netns)
//	  <container-id>              bind mount of the container's network namespace
//
// bridge.json is the commit point: an endpoint exists once it is listed
// there. Attach writes it last and undoes its kernel work when anything
// fails; a crash in between leaves a netns file or a veth on the bridge that
// no endpoint names, and New removes those, as it releases endpoints whose
// namespace is gone (the exec root did not survive a reboot).
//
// Kernel objects are only ever created under names the Manager owns: the
// bridge named by Config.Bridge, veths named "veth" + 8 hex digits on that
// bridge (the container side is created directly inside the container's
// namespace as eth0), the nftables table named by Config.Table, and the files
// under Config.RunDir. Nothing else on the host is changed, except that
// net.ipv4.ip_forward is switched on.
package network
