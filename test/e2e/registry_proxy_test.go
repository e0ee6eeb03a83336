package e2e

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
)

// faultProxy stands between berthd and a test registry on 127.0.0.1. It
// counts blob downloads and how many run at once, and can break the
// download of one blob: cut the connection halfway through, or stall
// halfway until released.
type faultProxy struct {
	Host string // 127.0.0.1:PORT, the registry's address as berthd sees it

	mu       sync.Mutex
	gets     map[digest.Digest]int // GETs of each blob
	inFlight int
	maxIn    int
	uploads  int // upload requests running
	maxUp    int
	cut      digest.Digest // broken blob; "" none
	once     bool          // heal after breaking it once
	stall    bool          // stall at the half instead of cutting
	ranges   []string      // Range headers of blob GETs
	stalled  chan struct{} // closed when a stall begins
	release  chan struct{} // closed to end a stall (by cutting)
}

// startFaultProxy starts a proxy to reg, stopped when t ends.
func startFaultProxy(t *testing.T, reg *testRegistry) *faultProxy {
	t.Helper()
	target, err := url.Parse("http://" + reg.Host)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{Host: l.Addr().String(), gets: map[digest.Digest]int{}, release: make(chan struct{}), stalled: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0) // dropped clients are the point
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/blobs/uploads/") {
			p.countUpload(+1)
			defer p.countUpload(-1)
		}
		d, isBlob := blobOf(r)
		if !isBlob || r.Method != http.MethodGet {
			rp.ServeHTTP(w, r)
			return
		}
		p.begin(d, r)
		defer p.end()
		if p.breaks(d) {
			p.serveBroken(w, r, target)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		p.Release()
		srv.Close()
	})
	return p
}

// blobOf reads a /v2/<name>/blobs/<digest> request.
func blobOf(r *http.Request) (digest.Digest, bool) {
	i := strings.LastIndex(r.URL.Path, "/blobs/")
	if !strings.HasPrefix(r.URL.Path, "/v2/") || i < 0 {
		return "", false
	}
	d, err := digest.Parse(r.URL.Path[i+len("/blobs/"):])
	return d, err == nil
}

func (p *faultProxy) begin(d digest.Digest, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rg := r.Header.Get("Range"); rg != "" {
		p.ranges = append(p.ranges, rg)
	}
	p.gets[d]++
	p.inFlight++
	p.maxIn = max(p.maxIn, p.inFlight)
}

func (p *faultProxy) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
}

func (p *faultProxy) breaks(d digest.Digest) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d != p.cut {
		return false
	}
	if p.once {
		p.cut = ""
	}
	return true
}

// BreakOnce cuts the next download of d halfway, and no other.
func (p *faultProxy) BreakOnce(d digest.Digest) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.once, p.stall = d, true, false
}

// Ranges are the Range headers of the blob downloads so far.
func (p *faultProxy) Ranges() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.ranges)
}

// Break makes the downloads of d fail halfway: cut, or stalled until
// Release when stall.
func (p *faultProxy) Break(d digest.Digest, stall bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.once, p.stall = d, false, stall
}

// Heal lets every download through again.
func (p *faultProxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = ""
}

// Release ends a stall (once).
func (p *faultProxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.release:
	default:
		close(p.release)
	}
}

// Gets is how many times blob d was requested.
func (p *faultProxy) Gets(d digest.Digest) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gets[d]
}

func (p *faultProxy) countUpload(delta int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.uploads += delta
	p.maxUp = max(p.maxUp, p.uploads)
}

// MaxUploads is the most blob upload requests that ran at once.
func (p *faultProxy) MaxUploads() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxUp
}

// MaxInFlight is the most blob downloads that ran at once.
func (p *faultProxy) MaxInFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxIn
}

// serveBroken sends the first half of the blob with its full length, then
// drops the connection (after a stall, if asked).
func (p *faultProxy) serveBroken(w http.ResponseWriter, r *http.Request, target *url.URL) {
	resp, err := http.Get(target.String() + r.URL.RequestURI())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		w.WriteHeader(resp.StatusCode)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body[:len(body)/2])
	w.(http.Flusher).Flush()
	p.mu.Lock()
	stall := p.stall
	if stall {
		select {
		case <-p.stalled:
		default:
			close(p.stalled)
		}
	}
	p.mu.Unlock()
	if stall {
		<-p.release
	}
	panic(http.ErrAbortHandler) // drops the connection mid-body
}
