// Package webhookd owns the network endpoint that receives Hercle's
// webhooks: the listener (plain HTTP, or HTTPS with the configured
// certificate), the one route to hercle's WebhookHandler with the public
// keys loaded from the configured PEM files, and its graceful shutdown.
//
// Everything about a webhook itself (method, content type, timestamp,
// signature, body limit, envelope, 400/405/413/415/503 answers) is the
// handler's; durability is the inbox's (the ledger's, through
// inbound.WebhookInbox); applying events is inbound.Processor's. This
// package only puts the handler on the network.
//
// # Invariants
//
//   - Nothing is acknowledged that is not durable: the handler answers 200
//     only after the inbox stored the event, and a shutdown lets requests
//     in flight finish their store before the process goes (up to the
//     shutdown deadline; a request cut off then gets no 200, so Hercle
//     sends it again).
//   - Bad configuration changes nothing: Start reads and checks every file
//     (public keys, certificate, private key) before it listens, and
//     names the file and the setting at fault.
//   - A renewed certificate is picked up without a restart: each TLS
//     handshake checks whether the certificate or key file changed and
//     loads the new pair; a pair that does not load is logged once and the
//     previous certificate stays in use.
//
// # Concurrency
//
// A Server is safe for concurrent use. Start starts one goroutine that
// serves until Close, Shutdown or the end of Start's context, and one that
// waits for that context; both end with the server.
//
// # What it must never do
//
// Acknowledge an event itself, log a body, signature or key material,
// accept a private key where a public key belongs, or keep serving with
// a configuration it could not fully load.
package webhookd
