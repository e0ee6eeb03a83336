// Command berth is the command-line client of the Berth container engine,
// compatible with the docker CLI. The commands live in package cli.
package main

import (
	"context"
	"os"

	"github.com/berth/berth/cli"
)

func main() {
	c := cli.New(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	os.Exit(c.Run(context.Background(), os.Args[1:]))
}
