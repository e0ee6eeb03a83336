package shim_test

import (
	"os"
	"testing"
	"time"
)

// TestLogThroughput reports how fast the shim logs a chatty container's
// output with nobody attached (1M short lines, then 100 MB of long ones),
// with each driver.
func TestLogThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 360 MB of log")
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"1M short lines", []string{"seq", "1", "1000000"}},
		{"100MB of 1000-byte lines", []string{"sh", "-c", "yes 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' | head -n 100000"}},
	} {
		for _, driver := range []string{"json-file", "local"} {
			t.Run(tc.name+" "+driver, func(t *testing.T) {
				c := newContainer(t, config{args: tc.args, logDriver: driver, maxSize: -1})
				client := c.run()
				start := time.Now()
				if exit, err := client.Wait(ctx(t)); err != nil || exit.ExitCode != 0 {
					t.Fatalf("wait: %+v, %v", exit, err)
				}
				d := time.Since(start)
				fi, _ := os.Stat(c.logPath())
				t.Logf("%s, %s: %v, log %.1f MB, %.1f MB/s of log", tc.name, driver, d.Round(time.Millisecond), float64(fi.Size())/1e6, float64(fi.Size())/1e6/d.Seconds())
			})
		}
	}
}
