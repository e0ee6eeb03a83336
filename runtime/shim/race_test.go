//go:build race

package shim_test

// raceBuild: go test -race also builds the shim with the race detector.
const raceBuild = true
