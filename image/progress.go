package image

import (
	"fmt"
	"io"
	"strings"

	"github.com/berth/berth/api"
	"github.com/docker/go-units"
)

// progressEvery is how many bytes pass between two progress messages
// (Docker's progress reader uses the same step).
const progressEvery = 512 << 10

// progressReader reports the bytes read from r as Docker's JSON progress.
type progressReader struct {
	r             io.Reader
	out           api.Progress
	status, id    string
	current, last int64
	total         int64
}

func newProgressReader(r io.Reader, out api.Progress, status, id string, total int64) *progressReader {
	return &progressReader{r: r, out: out, status: status, id: id, total: total}
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.current += int64(n)
	if p.current-p.last >= progressEvery || (err == io.EOF && p.current != p.last) {
		p.last = p.current
		p.out.Send(api.Message{
			Status:          p.status,
			ID:              p.id,
			ProgressDetail:  &api.ProgressDetail{Current: p.current, Total: p.total},
			ProgressMessage: progressBar(p.current, p.total),
		})
	}
	return n, err
}

// progressBar is the legacy "progress" string: a 50-column bar and sizes.
func progressBar(current, total int64) string {
	numbers := fmt.Sprintf("%8v/%v", units.HumanSize(float64(current)), units.HumanSize(float64(total)))
	if total <= 0 {
		return strings.TrimSpace(units.HumanSize(float64(current)))
	}
	pct := min(int(float64(current)/float64(total)*100)/2, 50)
	return fmt.Sprintf("[%s>%s] %s", strings.Repeat("=", pct), strings.Repeat(" ", 50-pct), numbers)
}
