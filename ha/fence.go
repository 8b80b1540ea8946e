package ha

import (
	"fmt"
	"net/http"
	"net/http/httptrace"
)

// Fence wraps next so that no request but a read (GET, HEAD) leaves while
// the node cannot prove it leads (Check): it is refused before a
// connection is sought, and reported to the request's trace as never
// sent (a connection sought, no header written), which is how the venue
// clients tell a request that provably never left.
func (n *Node) Fence(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return fence{n: n, next: next}
}

type fence struct {
	n    *Node
	next http.RoundTripper
}

func (f fence) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return f.next.RoundTrip(req)
	}
	if err := f.n.Check(); err != nil {
		f.n.m.fenced.WithLabelValues("request").Inc()
		if t := httptrace.ContextClientTrace(req.Context()); t != nil && t.GetConn != nil {
			t.GetConn(req.URL.Host)
		}
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("ha: %s %s refused: %w", req.Method, req.URL.Path, err)
	}
	return f.next.RoundTrip(req)
}
