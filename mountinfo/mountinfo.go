// Package mountinfo answers questions about this process's mount table
// (/proc/self/mountinfo).
package mountinfo

import (
	"bufio"
	"os"
	"strings"
)

// IsMountPoint reports whether path is a mount point in this process's
// mount namespace.
func IsMountPoint(path string) (bool, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mount-point options ...
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && unescape(fields[4]) == path {
			return true, nil
		}
	}
	return false, sc.Err()
}

// unescape undoes the kernel's octal escapes of spaces, tabs, newlines
// and backslashes in mountinfo paths.
func unescape(s string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(s)
}
