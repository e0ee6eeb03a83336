package volume

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/containerd/errdefs"
)

// restrictedNameChars is Docker's rule for local volume names.
const restrictedNameChars = `[a-zA-Z0-9][a-zA-Z0-9_.-]`

var validName = regexp.MustCompile(`^` + restrictedNameChars + `+$`)

// ValidateName checks name with Docker's local-driver rules and wording.
func ValidateName(name string) error {
	if len(name) == 1 {
		return errdefs.ErrInvalidArgument.WithMessage("volume name is too short, names should be at least two alphanumeric characters")
	}
	if !validName.MatchString(name) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q includes invalid characters for a local volume name, only %q are allowed. If you intended to pass a host directory, use absolute path", name, restrictedNameChars))
	}
	return nil
}

// generateName returns a name for an anonymous volume: 64 hex digits.
func generateName() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
