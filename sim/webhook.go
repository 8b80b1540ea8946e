package sim

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The simulator's webhook signature and envelopes, the way Hercle's
// webhook document describes them (the sender that posts them is in
// webhook_sender.go), so the engine's receiver can be exercised over real
// HTTP. It is self-contained (it does not use the
// hercle package's verifier), which makes the end-to-end test a check of
// two independent implementations of the scheme.

// Webhook header names, as Hercle sends them.
const (
	webhookSignatureHeader = "X-Webhook-Signature"
	webhookTimestampHeader = "X-Webhook-Timestamp"
	webhookIDHeader        = "X-Webhook-Id"
)

// WebhookKeyBits is the size of keys made by GenerateWebhookSigner.
const WebhookKeyBits = 2048

// WebhookSigner signs webhooks as Hercle does: RSA PKCS#1 v1.5 with SHA-256
// over SHA-256(timestamp + "." + body), the digest hashed again by the
// signature scheme, as the document's Node and Python verification samples
// require. A *WebhookSigner is safe for concurrent use.
type WebhookSigner struct {
	key    *rsa.PrivateKey
	pubPEM []byte
}

// GenerateWebhookSigner makes a new 2048-bit key. Since Go 1.26 RSA key
// generation always draws from the system's secure source (a seeded reader
// is ignored), so keys cannot be derived from a seed; for a key that is
// the same on every run, keep one in a file and use ParseWebhookSigner.
// Tests may make generation deterministic with testing/cryptotest.
func GenerateWebhookSigner() (*WebhookSigner, error) {
	k, err := rsa.GenerateKey(rand.Reader, WebhookKeyBits)
	if err != nil {
		return nil, fmt.Errorf("sim: webhook key: %w", err)
	}
	return NewWebhookSigner(k)
}

// NewWebhookSigner uses key, which must be at least 2048 bits.
func NewWebhookSigner(key *rsa.PrivateKey) (*WebhookSigner, error) {
	if key == nil || key.N.BitLen() < WebhookKeyBits {
		return nil, errors.New("sim: webhook key must be an RSA key of at least 2048 bits")
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("sim: webhook public key: %w", err)
	}
	return &WebhookSigner{key: key, pubPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}, nil
}

// ParseWebhookSigner reads an RSA private key from PEM ("RSA PRIVATE KEY"
// or PKCS#8 "PRIVATE KEY"). Errors never include key material.
func ParseWebhookSigner(data []byte) (*WebhookSigner, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("sim: webhook key: no PEM block")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("sim: webhook key: malformed PKCS#1 private key")
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("sim: webhook key: malformed PKCS#8 private key")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("sim: webhook key: %T is not RSA", k)
		}
		key = rk
	default:
		return nil, fmt.Errorf("sim: webhook key: PEM block %q is not a private key", block.Type)
	}
	return NewWebhookSigner(key)
}

// PublicKeyPEM returns the public key as a PKIX "PUBLIC KEY" PEM block,
// the form Hercle hands to its customers.
func (s *WebhookSigner) PublicKeyPEM() []byte { return bytes.Clone(s.pubPEM) }

// WritePublicKeyPEM writes the public key PEM to path (mode 0644),
// atomically: a reader sees the old file or the new one, never a part.
func (s *WebhookSigner) WritePublicKeyPEM(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".webhook-key-*.pem")
	if err != nil {
		return fmt.Errorf("sim: write webhook public key: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	if _, err := tmp.Write(s.pubPEM); err != nil {
		tmp.Close()
		return fmt.Errorf("sim: write webhook public key: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("sim: write webhook public key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sim: write webhook public key: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sim: write webhook public key: %w", err)
	}
	return nil
}

// Sign returns the base64 X-Webhook-Signature for a request whose
// X-Webhook-Timestamp is timestamp and whose body is exactly body.
func (s *WebhookSigner) Sign(timestamp string, body []byte) (string, error) {
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	digest := h.Sum(nil)
	hashed := sha256.Sum256(digest) // what RSA-SHA256 does to the digest it is given
	sig, err := rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, hashed[:])
	if err != nil {
		return "", fmt.Errorf("sim: sign webhook: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// WebhookFormat selects one of the documented envelope forms. The zero
// value is the webhook document's form: PascalCase keys (EventId,
// EventType, Timestamp, Data) with Data a JSON string, sent as
// Content-Type application/json.
type WebhookFormat struct {
	// CamelCase sends eventId, eventType, timestamp and data, with
	// Content-Type "application/json; charset=utf-8", as the
	// documentation site's second version shows.
	CamelCase bool
	// EmbeddedData sends the data as a JSON object instead of a string.
	EmbeddedData bool
}

// Envelope builds a webhook body. data must be valid JSON.
func (f WebhookFormat) Envelope(eventID, eventType string, at time.Time, data json.RawMessage) ([]byte, error) {
	if !json.Valid(data) {
		return nil, errors.New("sim: webhook data is not valid JSON")
	}
	keys := [4]string{"EventId", "EventType", "Timestamp", "Data"}
	if f.CamelCase {
		keys = [4]string{"eventId", "eventType", "timestamp", "data"}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return nil, err
	}
	var d []byte
	if f.EmbeddedData {
		d = compact.Bytes()
	} else {
		d, _ = json.Marshal(compact.String())
	}
	id, _ := json.Marshal(eventID)
	typ, _ := json.Marshal(eventType)
	ts, _ := json.Marshal(at.UTC().Format(time.RFC3339Nano))
	var b bytes.Buffer
	for i, v := range [][]byte{id, typ, ts, d} {
		if i == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", keys[i])
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (f WebhookFormat) contentType() string {
	if f.CamelCase {
		return "application/json; charset=utf-8"
	}
	return "application/json"
}
