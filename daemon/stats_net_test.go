package daemon

import "testing"

func TestParseNetDev(t *testing.T) {
	in := `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     140       2    0    0    0     0          0         0      140       2    0    0    0     0       0          0
  eth0:    1626      19    1    2    0     0          0         0      516       6    3    4    0     0       0          0
`
	got := parseNetDev(in)
	e, ok := got["eth0"]
	if len(got) != 1 || !ok || e.RxBytes != 1626 || e.RxPackets != 19 || e.RxErrors != 1 || e.RxDropped != 2 ||
		e.TxBytes != 516 || e.TxPackets != 6 || e.TxErrors != 3 || e.TxDropped != 4 {
		t.Errorf("%+v", got)
	}
	if got := parseNetDev(in[:len(in)-len("  eth0:    1626      19    1    2    0     0          0         0      516       6    3    4    0     0       0          0\n")]); got != nil {
		t.Errorf("loopback only: %+v", got)
	}
}
