//go:build !race

package shim_test

const raceBuild = false
