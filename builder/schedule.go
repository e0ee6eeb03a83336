package builder

import (
	"context"
	"sync"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// buildStages builds the needed stages, each as soon as the stages it
// uses are built, so that independent stages run at the same time (the
// classic builder runs them one after another). Output stays in
// Dockerfile order: see orderedOutput. The first failure cancels the rest.
func (r *run) buildStages(ctx context.Context, needed []int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := newOrderedOutput(r.out.p, len(needed))
	done := map[int]chan struct{}{}
	for _, i := range needed {
		done[i] = make(chan struct{})
	}
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	offset := r.step
	for slot, i := range needed {
		// Each stage has its own output, step counter and lexer.
		sr := *r
		sr.out = &output{p: outs.slot(slot), quiet: r.out.quiet}
		sr.lex = shell.NewLex(r.df.Escape)
		sr.step = offset
		offset += 1 + len(r.df.Stages[i].Commands)
		deps := r.df.Deps(i, r.expandMeta)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer outs.finish(slot)
			defer close(done[i])
			for _, j := range deps {
				<-done[j]
				if _, ok := r.shared.stageImage(j); !ok {
					return // it failed: its error is reported
				}
			}
			id, err := sr.buildStage(ctx, i)
			if err != nil {
				fail(err)
				return
			}
			r.shared.setStageImage(i, id)
		}()
	}
	wg.Wait()
	return firstErr
}
