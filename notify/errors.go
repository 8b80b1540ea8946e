package notify

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

var (
	// ErrSecretUnset: a variable the configuration names is not set, nor
	// its _FILE variant. A *SecretError wraps it.
	ErrSecretUnset = errors.New("notify: secret not set")
	// ErrRunTwice is returned by a second call of Run.
	ErrRunTwice = errors.New("notify: Run called twice")
)

// SecretError reports a secret New could not resolve: unset, set twice
// (NAME and NAME_FILE), unreadable, or not of the expected form. It names
// the sink and the variable, never the value.
type SecretError struct {
	Sink string
	Var  string
	Err  error
}

func (e *SecretError) Error() string {
	return fmt.Sprintf("notify: sink %q: %s: %v", e.Sink, e.Var, e.Err)
}

func (e *SecretError) Unwrap() error { return e.Err }

// deliveryError is one failed attempt at a sink. It never holds the URL,
// a header or the response body: the URL or the path may be the secret.
type deliveryError struct {
	Sink string
	// Status is the HTTP status; 0 when no response arrived.
	Status int
	// RetryAfter is the wait the receiver asked for; 0 if it did not.
	RetryAfter time.Duration
	// Err is the transport's error without its URL, for Status 0.
	Err error
}

func (e *deliveryError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("notify: send to %s: %v", e.Sink, e.Err)
	}
	return fmt.Sprintf("notify: send to %s: HTTP %d", e.Sink, e.Status)
}

func (e *deliveryError) Unwrap() error { return e.Err }

// retryable reports whether another attempt may succeed: no response, a
// server error, a timeout or too many requests. Any other answer (a bad
// chat id, a revoked webhook) would be refused again.
func (e *deliveryError) retryable() bool {
	switch {
	case e.Status == 0, e.Status >= 500:
		return true
	case e.Status == http.StatusRequestTimeout, e.Status == http.StatusTooManyRequests:
		return true
	}
	return false
}
