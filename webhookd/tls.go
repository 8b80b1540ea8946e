package webhookd

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/otcdesk/engine/internal/clock"
)

// certReloader serves the certificate pair from two PEM files and loads
// the pair again when either file changes (a renewal), keeping the
// previous certificate while the new pair does not load.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	clock             clock.Clock // validity is checked at its time; zero: the system clock

	mu      sync.Mutex // guards the fields below
	cert    *tls.Certificate
	loaded  stamp // files the current certificate came from
	refused stamp // files whose pair last failed to load (logged once)
}

// stamp identifies the contents of the two files without reading them.
type stamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
	missing           bool // a file could not be stat'ed
}

func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	st := r.stat()
	cert, err := r.load()
	if err != nil {
		return nil, err
	}
	r.cert, r.loaded = cert, st
	return r, nil
}

// leaf returns the certificate in use.
func (r *certReloader) leaf() *x509.Certificate {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cert.Leaf
}

// get is tls.Config.GetCertificate. It never fails once a certificate was
// loaded: a renewal that does not load leaves the previous one in use.
func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stat()
	if st == r.loaded || st == r.refused {
		return r.cert, nil
	}
	if st.missing {
		r.refused = st
		r.log.Error("webhook endpoint: TLS certificate or key file is missing; serving the certificate loaded before",
			"cert_file", r.certFile, "key_file", r.keyFile)
		return r.cert, nil
	}
	cert, err := r.load()
	if err != nil {
		r.refused = st
		r.log.Error("webhook endpoint: changed TLS files do not load; serving the certificate loaded before", "err", err)
		return r.cert, nil
	}
	r.cert, r.loaded = cert, st
	r.log.Info("webhook endpoint: TLS certificate reloaded", "cert_file", r.certFile,
		"subject", cert.Leaf.Subject.String(), "not_after", cert.Leaf.NotAfter)
	return r.cert, nil
}

func (r *certReloader) stat() stamp {
	c, errC := os.Stat(r.certFile)
	k, errK := os.Stat(r.keyFile)
	if errC != nil || errK != nil {
		return stamp{missing: true}
	}
	return stamp{certMod: c.ModTime(), keyMod: k.ModTime(), certSize: c.Size(), keySize: k.Size()}
}

// load reads and checks the pair. Errors name the files and the setting;
// they never carry key material.
func (r *certReloader) load() (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(r.certFile)
	if err != nil {
		return nil, fmt.Errorf("webhook.tls_cert: %w", err)
	}
	keyPEM, err := os.ReadFile(r.keyFile)
	if err != nil {
		return nil, fmt.Errorf("webhook.tls_key: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("webhook.tls_cert %s and webhook.tls_key %s: %w", r.certFile, r.keyFile, err)
	}
	if pair.Leaf == nil {
		if pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("webhook.tls_cert %s: %w", r.certFile, err)
		}
	}
	now := r.clock.Now()
	switch {
	case now.After(pair.Leaf.NotAfter):
		return nil, fmt.Errorf("webhook.tls_cert %s: certificate expired at %s; renew it", r.certFile,
			pair.Leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(pair.Leaf.NotBefore):
		return nil, fmt.Errorf("webhook.tls_cert %s: certificate is not valid before %s; check the clock or the certificate",
			r.certFile, pair.Leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return &pair, nil
}
