package network

// cleanup is a stack of undo steps for a multi-step setup: each step that
// succeeds pushes its undo, a failure runs them in reverse, and success
// releases them.
type cleanup struct {
	fns []func()
}

func (c *cleanup) add(fn func()) { c.fns = append(c.fns, fn) }

// release forgets the undo steps: the setup succeeded.
func (c *cleanup) release() { c.fns = nil }

// run undoes every step still held, newest first.
func (c *cleanup) run() {
	for i := len(c.fns) - 1; i >= 0; i-- {
		c.fns[i]()
	}
	c.fns = nil
}
