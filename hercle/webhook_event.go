package hercle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WebhookEventType names a webhook event.
type WebhookEventType string

// The documented event types and the data each carries.
const (
	EventDepositStatusUpdated     WebhookEventType = "Banking.Deposit.StatusUpdated"    // *WebhookTransaction
	EventWithdrawalCreated        WebhookEventType = "Banking.Withdrawal.Created"       // *WebhookWithdrawal
	EventWithdrawalStatusUpdated  WebhookEventType = "Banking.Withdrawal.StatusUpdated" // *WebhookWithdrawal
	EventPayoutCreated            WebhookEventType = "Banking.Payout.Created"           // *WebhookTransfer
	EventPayoutStatusUpdated      WebhookEventType = "Banking.Payout.StatusUpdated"     // *WebhookTransfer
	EventVirtualAccountRegistered WebhookEventType = "VirtualAccount.Registered"        // *WebhookInternalAddress
	EventBalanceUpdated           WebhookEventType = "Balance.Updated"                  // *WebhookAccountBalance
	EventEndUserCreated           WebhookEventType = "EndUser.Created"                  // *WebhookEndUser
	EventEndUserUpdated           WebhookEventType = "EndUser.Updated"                  // *WebhookEndUser
	EventEndUserStatusUpdated     WebhookEventType = "EndUser.StatusUpdated"            // *WebhookEndUser
	EventPayeeCreated             WebhookEventType = "Payee.Created"                    // *WebhookPayee
	EventPayeeStatusUpdated       WebhookEventType = "Payee.StatusUpdated"              // *WebhookPayeeAddress
)

// WebhookEventTypes lists the documented event types.
func WebhookEventTypes() []WebhookEventType {
	return []WebhookEventType{
		EventDepositStatusUpdated, EventWithdrawalCreated, EventWithdrawalStatusUpdated,
		EventPayoutCreated, EventPayoutStatusUpdated, EventVirtualAccountRegistered,
		EventBalanceUpdated, EventEndUserCreated, EventEndUserUpdated, EventEndUserStatusUpdated,
		EventPayeeCreated, EventPayeeStatusUpdated,
	}
}

// newData returns an empty model for a known type, or nil.
func (t WebhookEventType) newData() WebhookData {
	switch t {
	case EventDepositStatusUpdated:
		return new(WebhookTransaction)
	case EventWithdrawalCreated, EventWithdrawalStatusUpdated:
		return new(WebhookWithdrawal)
	case EventPayoutCreated, EventPayoutStatusUpdated:
		return new(WebhookTransfer)
	case EventVirtualAccountRegistered:
		return new(WebhookInternalAddress)
	case EventBalanceUpdated:
		return new(WebhookAccountBalance)
	case EventEndUserCreated, EventEndUserUpdated, EventEndUserStatusUpdated:
		return new(WebhookEndUser)
	case EventPayeeCreated:
		return new(WebhookPayee)
	case EventPayeeStatusUpdated:
		return new(WebhookPayeeAddress)
	}
	return nil
}

// Known reports whether t is a documented event type.
func (t WebhookEventType) Known() bool { return t.newData() != nil }

// Bounds on envelope identifiers, so a hostile value cannot become an
// unbounded inbox key or log line.
const (
	maxEventIDLen   = 256
	maxEventTypeLen = 128
)

// WebhookEnvelope is the outer object of a webhook body. Both documented
// forms are accepted: EventId/EventType/Timestamp/Data with Data a JSON
// string holding the event data (the webhook document and the guide), and
// eventId/eventType/timestamp/data with data an embedded object (the
// documentation site's second version). Keys are matched without regard
// to case; Data may be a string or an object in either casing. A key given
// twice (in any casing) is an error, so no two readers can disagree about
// which one counts. Other keys are ignored.
type WebhookEnvelope struct {
	EventID   string           // non-empty; the idempotency key
	EventType WebhookEventType // non-empty; may be a type this package does not know
	Timestamp Time             // when the event occurred; zero if absent
	// Data is the event data as JSON: the embedded object, or the text of
	// the string form. It is always an object or an array.
	Data json.RawMessage
	// DataWasString reports that Data arrived as a JSON string.
	DataWasString bool
}

// ParseWebhookEnvelope decodes a webhook body's envelope without
// interpreting Data. Errors wrap ErrBadEnvelope.
func ParseWebhookEnvelope(body []byte) (WebhookEnvelope, error) {
	var env WebhookEnvelope
	fail := func(format string, a ...any) (WebhookEnvelope, error) {
		return WebhookEnvelope{}, fmt.Errorf("%w: "+format, append([]any{ErrBadEnvelope}, a...)...)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fail("not a JSON object")
	}
	var id, typ, ts, data json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail("malformed JSON")
		}
		key, _ := tok.(string)
		var dst *json.RawMessage
		switch {
		case strings.EqualFold(key, "eventId"):
			dst = &id
		case strings.EqualFold(key, "eventType"):
			dst = &typ
		case strings.EqualFold(key, "timestamp"):
			dst = &ts
		case strings.EqualFold(key, "data"):
			dst = &data
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fail("malformed JSON")
		}
		if dst == nil {
			continue
		}
		if *dst != nil {
			return fail("key %q given twice", strings.ToLower(key))
		}
		*dst = v
	}
	if _, err := dec.Token(); err != nil {
		return fail("malformed JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("data after the envelope")
	}

	var err error
	if env.EventID, err = envelopeString(id, "eventId", maxEventIDLen); err != nil {
		return fail("%v", err)
	}
	var t string
	if t, err = envelopeString(typ, "eventType", maxEventTypeLen); err != nil {
		return fail("%v", err)
	}
	env.EventType = WebhookEventType(t)
	if ts != nil {
		if err := env.Timestamp.UnmarshalJSON(ts); err != nil {
			return fail("timestamp: %v", err)
		}
	}
	if env.Data, env.DataWasString, err = envelopeData(data); err != nil {
		return fail("%v", err)
	}
	return env, nil
}

func envelopeString(raw json.RawMessage, key string, max int) (string, error) {
	if raw == nil {
		return "", fmt.Errorf("no %s", key)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s is not a string", key)
	}
	switch {
	case s == "":
		return "", fmt.Errorf("%s is empty", key)
	case len(s) > max:
		return "", fmt.Errorf("%s longer than %d bytes", key, max)
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", fmt.Errorf("%s has control or invalid characters", key)
	}
	return s, nil
}

// envelopeData returns the event data as JSON, unwrapping the string form.
func envelopeData(raw json.RawMessage) (json.RawMessage, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false, errors.New("no data")
	}
	wasString := false
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, false, errors.New("data is a malformed string")
		}
		raw = bytes.TrimSpace([]byte(s))
		wasString = true
		if !json.Valid(raw) {
			return nil, false, errors.New("data string does not hold JSON")
		}
	}
	if len(raw) == 0 || raw[0] != '{' && raw[0] != '[' {
		return nil, false, errors.New("data is neither an object nor a string holding one")
	}
	return raw, wasString, nil
}

// WebhookStatusChange is the StatusChange part of a status-update event
// sent in the wrapped form {"StatusChange": {...}, "Resource": {...}},
// which the webhook page's envelope example shows.
type WebhookStatusChange struct {
	Previous string
	Current  string
}

// WebhookEvent is a decoded webhook: its envelope and typed data.
type WebhookEvent struct {
	WebhookEnvelope
	// Payload is the typed data for a documented event type (see
	// WebhookEventType's constants for the type of each), or nil for an
	// event type this package does not know, whose data stays in Data.
	Payload WebhookData
	// StatusChange is set when the data came in the wrapped form, the
	// resource then being what Payload holds.
	StatusChange *WebhookStatusChange
}

// ErrEventData is wrapped by DecodeWebhookEvent when the envelope is sound
// but a known event type's data does not fit its model.
var ErrEventData = errors.New("hercle: webhook: event data does not match its type")

// DecodeWebhookEvent decodes a webhook body (already verified) into its
// envelope and typed data. Unknown keys inside the data are ignored, so a
// venue addition never fails an event; an unknown event type is not an
// error (Payload is nil). Errors wrap ErrBadEnvelope or ErrEventData.
func DecodeWebhookEvent(body []byte) (*WebhookEvent, error) {
	return decodeWebhookEvent(body, false)
}

func decodeWebhookEvent(body []byte, strict bool) (*WebhookEvent, error) {
	env, err := ParseWebhookEnvelope(body)
	if err != nil {
		return nil, err
	}
	ev := &WebhookEvent{WebhookEnvelope: env}
	model := env.EventType.newData()
	if model == nil {
		return ev, nil
	}
	data := env.Data
	if change, resource, ok, err := unwrapStatusChange(data, strict); err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", ErrEventData, env.EventType, env.EventID, err)
	} else if ok {
		ev.StatusChange, data = change, resource
	}
	if eu, ok := model.(*WebhookEndUser); ok {
		err = decodeEndUser(data, eu, strict)
	} else {
		err = decodeJSON(data, model, strict)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", ErrEventData, env.EventType, env.EventID, err)
	}
	ev.Payload = model
	return ev, nil
}

// decodeJSON decodes exactly one JSON value into v; strict refuses keys v
// has no field for.
func decodeJSON(b []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// topKeys returns an object's members by lower-cased key; ok is false when
// b is not an object.
func topKeys(b []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || m == nil {
		return nil, false
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out, true
}

// unwrapStatusChange recognises {"StatusChange": {...}, "Resource": {...}}.
func unwrapStatusChange(b []byte, strict bool) (*WebhookStatusChange, json.RawMessage, bool, error) {
	m, ok := topKeys(b)
	if !ok {
		return nil, nil, false, nil
	}
	resource, hasResource := m["resource"]
	change, hasChange := m["statuschange"]
	if !hasResource || !hasChange {
		return nil, nil, false, nil
	}
	if strict && len(m) != 2 {
		return nil, nil, false, errors.New("wrapped status change has keys besides StatusChange and Resource")
	}
	sc, ok := topKeys(change)
	if !ok {
		return nil, nil, false, errors.New("StatusChange is not an object")
	}
	if strict {
		for k := range sc {
			if k != "previous" && k != "current" {
				return nil, nil, false, fmt.Errorf("StatusChange has unknown key %q", k)
			}
		}
	}
	return &WebhookStatusChange{Previous: text(sc["previous"]), Current: text(sc["current"])}, resource, true, nil
}

func decodeEndUser(b []byte, eu *WebhookEndUser, strict bool) error {
	m, ok := topKeys(b)
	if !ok {
		return errors.New("end user data is not an object")
	}
	_, business := m["business"]
	_, person := m["person"]
	switch {
	case business && person:
		return errors.New("end user data has both Person and Business")
	case business:
		eu.Business = new(WebhookBusinessEndUser)
		return decodeJSON(b, eu.Business, strict)
	case person:
		eu.Individual = new(WebhookIndividualEndUser)
		return decodeJSON(b, eu.Individual, strict)
	}
	return errors.New("end user data has neither Person nor Business")
}

// MarshalJSON writes whichever of Individual and Business is set.
func (eu WebhookEndUser) MarshalJSON() ([]byte, error) {
	switch {
	case eu.Business != nil:
		return json.Marshal(eu.Business)
	case eu.Individual != nil:
		return json.Marshal(eu.Individual)
	}
	return []byte("null"), nil
}
