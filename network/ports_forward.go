package network

import (
	"bytes"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"strings"

	"github.com/google/nftables"
)

// forwardFilter deals with a host whose iptables filter FORWARD policy is
// DROP (dockerd sets it so). An accept in Berth's own nftables table cannot
// override a drop in another table, so, only on such a host, it keeps an
// iptables chain of its own, jumped to first from FORWARD, that lets
// through what Docker's DOCKER-FORWARD and DOCKER chains let through:
//
//	-o <bridge> -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT   # replies
//	-i <bridge> -j ACCEPT                                              # outbound, and between containers
//	-d <ip>/32 ! -i <bridge> -o <bridge> -p <proto> -m <proto> --dport <port> -j ACCEPT  # each published port
//
// for every bridge with a container on it. The chain is deleted when no
// container is left, or the policy is no longer DROP. It is rewritten only
// when its rules change (the policy is checked then, and at every daemon
// start), so a DROP policy set later reaches containers started later.
// The iptables binary on PATH is used, as dockerd does, so the rules land
// where the host's FORWARD chain is (nf_tables or legacy).
type forwardFilter struct {
	chain   string
	log     *slog.Logger
	applied []string // the rules last written; nil: unknown
	legacy  *bool    // iptables is iptables-legacy (else nf_tables); nil: not asked yet
	present *bool    // the chain exists; nil: unknown (a crash may have left it)
}

func newForwardFilter(table string, log *slog.Logger) *forwardFilter {
	// "berth" -> BERTH, "berth_br1" -> BERTH_br1: 28 bytes at most.
	return &forwardFilter{chain: "BERTH" + strings.TrimPrefix(table, "berth"), log: log}
}

// forget makes the next sync check the host again.
func (f *forwardFilter) forget() { f.applied, f.present = nil, nil }

// sync makes the chain match the containers.
func (f *forwardFilter) sync(containers map[string]*publishedContainer) error {
	want := forwardRules(containers)
	if f.applied != nil && slices.Equal(want, f.applied) {
		return nil
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		f.applied = want
		return nil // no iptables, so no FORWARD policy to get past
	}
	drop, err := f.policyIsDrop()
	if err != nil {
		return err
	}
	if !drop || len(want) == 0 {
		if err := f.remove(); err != nil {
			return err
		}
	} else if err := f.write(want); err != nil {
		return err
	}
	f.applied = want
	return nil
}

// forwardRules are the chain's rules, as iptables-restore lines without
// the "-A <chain>".
func forwardRules(containers map[string]*publishedContainer) []string {
	byBridge := map[string][]string{}
	var bridges []string
	for _, id := range sortedIDs(containers) {
		pc := containers[id]
		br := pc.Bridge.Name
		if _, ok := byBridge[br]; !ok {
			bridges = append(bridges, br)
			byBridge[br] = nil
		}
		for _, b := range pc.Bindings {
			byBridge[br] = append(byBridge[br], fmt.Sprintf("-d %s/32 ! -i %s -o %s -p %s -m %s --dport %d -j ACCEPT",
				pc.IP, br, br, b.Proto, b.Proto, b.ContainerPort))
		}
	}
	slices.Sort(bridges)
	rules := []string{}
	for _, br := range bridges {
		rules = append(rules,
			fmt.Sprintf("-o %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", br),
			fmt.Sprintf("-i %s -j ACCEPT", br))
		rules = append(rules, byBridge[br]...)
	}
	return rules
}

// policyIsDrop reads the policy of the filter table's FORWARD chain: over
// netlink when iptables is nf_tables (its chain is `ip filter FORWARD`),
// which spares a start the ~2 ms of running iptables.
func (f *forwardFilter) policyIsDrop() (bool, error) {
	if f.legacy == nil {
		out, err := iptables("-V")
		if err != nil {
			return false, err
		}
		legacy := !strings.Contains(out, "nf_tables")
		f.legacy = &legacy
	}
	if !*f.legacy {
		c, err := nftables.New()
		if err != nil {
			return false, err
		}
		ch, err := c.ListChain(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: "filter"}, "FORWARD")
		if err != nil {
			return false, nil // no such chain: nothing is dropped
		}
		return ch.Policy != nil && *ch.Policy == nftables.ChainPolicyDrop, nil
	}
	out, err := iptables("-t", "filter", "-S", "FORWARD")
	if err != nil {
		return false, err
	}
	return strings.Contains(out, "-P FORWARD DROP"), nil
}

// write replaces the chain's rules in one iptables-restore transaction and
// makes FORWARD jump to it first.
func (f *forwardFilter) write(rules []string) error {
	var in bytes.Buffer
	fmt.Fprintf(&in, "*filter\n:%s - [0:0]\n", f.chain) // --noflush: creates or flushes just this chain
	for _, r := range rules {
		fmt.Fprintf(&in, "-A %s %s\n", f.chain, r)
	}
	in.WriteString("COMMIT\n")
	cmd := exec.Command("iptables-restore", "--noflush")
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("iptables-restore: %v: %s", err, bytes.TrimSpace(out))
	}
	f.present = boolPtr(true)
	if _, err := iptables("-C", "FORWARD", "-j", f.chain); err == nil {
		return nil
	}
	if _, err := iptables("-I", "FORWARD", "1", "-j", f.chain); err != nil {
		return err
	}
	f.log.Info("iptables FORWARD policy is DROP: allowing Berth's bridges through", "chain", f.chain)
	return nil
}

// remove deletes the chain and the jumps to it, if there are any. Known
// absent, it runs no iptables: with the usual ACCEPT policy, the first
// container on a bridge and the last one leaving would pay for two runs.
func (f *forwardFilter) remove() error {
	if f.present != nil && !*f.present {
		return nil
	}
	if _, err := iptables("-S", f.chain); err != nil {
		f.present = boolPtr(false)
		return nil // no such chain
	}
	for {
		if _, err := iptables("-D", "FORWARD", "-j", f.chain); err != nil {
			break
		}
	}
	if _, err := iptables("-F", f.chain); err != nil {
		return err
	}
	if _, err := iptables("-X", f.chain); err != nil {
		return err
	}
	f.present = boolPtr(false)
	return nil
}

func boolPtr(b bool) *bool { return &b }

func iptables(args ...string) (string, error) {
	out, err := exec.Command("iptables", append([]string{"-w"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}
