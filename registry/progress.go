package registry

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/berth/berth/api"
	"github.com/docker/go-units"
	"github.com/opencontainers/go-digest"
)

// progressInterval is the least time between two byte-count messages of
// one item (Docker's progress reader limits itself to the same rate).
const progressInterval = 100 * time.Millisecond

// Progress writes the messages of one item of a pull or push, a layer,
// the way Docker's daemon does so that the docker CLI draws its lines.
type Progress struct {
	Out api.Progress
	ID  string // ShortID of the layer's digest
}

// Status sends a status without byte counts ("Pulling fs layer", "Pushed").
func (p Progress) Status(status string) {
	p.Out.Send(api.Message{Status: status, ID: p.ID, ProgressDetail: &api.ProgressDetail{}})
}

// Bytes sends a status with byte counts ("Downloading", "Extracting").
func (p Progress) Bytes(status string, current, total int64) {
	p.Out.Send(api.Message{
		Status:          status,
		ID:              p.ID,
		ProgressDetail:  &api.ProgressDetail{Current: current, Total: total},
		ProgressMessage: ProgressBar(current, total),
	})
}

// Reader returns r, reporting what is read from it as status messages with
// byte counts out of total: at most every progressInterval, and at the end.
func (p Progress) Reader(r io.Reader, status string, total int64) io.Reader {
	return &progressReader{r: r, p: p, status: status, total: total}
}

type progressReader struct {
	r          io.Reader
	p          Progress
	status     string
	total      int64
	current    int64
	last       time.Time
	reportedAt int64
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.current += int64(n)
	end := err == io.EOF || (pr.total > 0 && pr.current == pr.total)
	if pr.current != pr.reportedAt && (end || time.Since(pr.last) >= progressInterval) {
		pr.last, pr.reportedAt = time.Now(), pr.current
		pr.p.Bytes(pr.status, pr.current, pr.total)
	}
	return n, err
}

// ShortID is the 12-hex-digit form of a digest that Docker shows.
func ShortID(d digest.Digest) string {
	hex := d.Encoded()
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return hex
}

// ProgressBar is the legacy "progress" string of a message: a 50-column
// bar and the sizes, as Docker's daemon formats it.
func ProgressBar(current, total int64) string {
	if total <= 0 {
		return strings.TrimSpace(fmt.Sprintf("%8v", units.HumanSize(float64(current))))
	}
	numbers := fmt.Sprintf("%8v/%v", units.HumanSize(float64(current)), units.HumanSize(float64(total)))
	if current > total {
		numbers = fmt.Sprintf("%8v", units.HumanSize(float64(current)))
	}
	pct := min(int(float64(current)/float64(total)*100)/2, 50)
	return fmt.Sprintf("[%s>%s] %s", strings.Repeat("=", pct), strings.Repeat(" ", 50-pct), numbers)
}
