// Command portecho is a server the published-ports tests run inside a
// container, for what busybox cannot do:
//
//	portecho udp PORT    echo every UDP datagram back to its sender
//	portecho sink PORT   read each TCP connection to its end, then reply
//	                     with the number of bytes read
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: portecho udp|sink PORT")
		os.Exit(2)
	}
	addr := ":" + os.Args[2]
	var err error
	switch os.Args[1] {
	case "udp":
		err = udpEcho(addr)
	case "sink":
		err = sink(addr)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func udpEcho(addr string) error {
	c, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return err
	}
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return err
		}
		_, _ = c.WriteTo(buf[:n], from)
	}
}

func sink(addr string) error {
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		return err
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			n, _ := io.Copy(io.Discard, c)
			fmt.Fprintf(c, "%d\n", n)
		}()
	}
}
