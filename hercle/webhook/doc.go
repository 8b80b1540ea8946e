// Package webhook owns the receiving end of Hercle's webhooks: loading the
// venue's RSA public keys, verifying each request's signature and
// timestamp, decoding both documented envelopes (PascalCase with data as a
// JSON string, camelCase with data embedded) and the event models, and the
// http.Handler that stores each verified webhook in an Inbox before it
// answers 2xx.
//
// # Signatures
//
// Hercle signs SHA-256(timestamp + "." + raw body) with RSA PKCS#1 v1.5
// SHA-256, hashing the digest again inside the signer (see verify.go); the
// Node-made vectors in testdata prove the verifier against the documents'
// samples. Several keys may be configured during a rotation.
//
// # Concurrency
//
// A *Handler and a Verifier in use are safe for concurrent use. The
// decoders are pure functions.
//
// # What it must never do
//
// Acknowledge a webhook before Inbox.Store reported it durable; apply an
// event (package inbound does, from the inbox); refuse to store a verified
// event because its data surprises the models; log or return a body,
// signature or key; panic on any input; import any package of the engine
// other than hercle (the shared vocabulary), market and internal.
package webhook
