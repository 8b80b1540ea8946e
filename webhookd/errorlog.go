package webhookd

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/otcdesk/engine/internal/refusals"
)

// tlsHandshakeError starts the line net/http writes for every connection
// whose TLS handshake fails.
const tlsHandshakeError = "http: TLS handshake error from "

// serverLog is the http.Server's error log. A failed TLS handshake is a
// refusal like any other (anyone can cause one per connection, so it
// must not cost a line each); every other line goes to the logger at
// Info.
type serverLog struct {
	log     *slog.Logger
	refused *refusals.Log
}

func (s serverLog) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	if rest, ok := strings.CutPrefix(msg, tlsHandshakeError); ok {
		remote, cause, _ := strings.Cut(rest, ": ")
		s.refused.RefusedConn(remote, reasonTLSHandshake, errors.New(cause))
		return len(p), nil
	}
	s.log.Info(msg)
	return len(p), nil
}
