package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// confirm prints message and asks "[y/N]"; only "y" or "Y" is a yes.
func confirm(in io.Reader, out io.Writer, message string) bool {
	_, _ = fmt.Fprintf(out, "%s [y/N] ", message)
	line, _ := bufio.NewReader(in).ReadString('\n')
	answer := strings.TrimSpace(line)
	return answer == "y" || answer == "Y"
}
