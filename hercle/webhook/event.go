package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/otcdesk/engine/hercle"
)

// EventType names a webhook event.
type EventType string

// The documented event types and the data each carries.
const (
	EventDepositStatusUpdated     EventType = "Banking.Deposit.StatusUpdated"    // *Transaction
	EventWithdrawalCreated        EventType = "Banking.Withdrawal.Created"       // *Withdrawal
	EventWithdrawalStatusUpdated  EventType = "Banking.Withdrawal.StatusUpdated" // *Withdrawal
	EventPayoutCreated            EventType = "Banking.Payout.Created"           // *Transfer
	EventPayoutStatusUpdated      EventType = "Banking.Payout.StatusUpdated"     // *Transfer
	EventVirtualAccountRegistered EventType = "VirtualAccount.Registered"        // *InternalAddress
	EventBalanceUpdated           EventType = "Balance.Updated"                  // *AccountBalance
	EventEndUserCreated           EventType = "EndUser.Created"                  // *EndUser
	EventEndUserUpdated           EventType = "EndUser.Updated"                  // *EndUser
	EventEndUserStatusUpdated     EventType = "EndUser.StatusUpdated"            // *EndUser
	EventPayeeCreated             EventType = "Payee.Created"                    // *Payee
	EventPayeeStatusUpdated       EventType = "Payee.StatusUpdated"              // *PayeeAddress
)

// EventTypes lists the documented event types.
func EventTypes() []EventType {
	return []EventType{
		EventDepositStatusUpdated, EventWithdrawalCreated, EventWithdrawalStatusUpdated,
		EventPayoutCreated, EventPayoutStatusUpdated, EventVirtualAccountRegistered,
		EventBalanceUpdated, EventEndUserCreated, EventEndUserUpdated, EventEndUserStatusUpdated,
		EventPayeeCreated, EventPayeeStatusUpdated,
	}
}

// newData returns an empty model for a known type, or nil.
func (t EventType) newData() Data {
	switch t {
	case EventDepositStatusUpdated:
		return new(Transaction)
	case EventWithdrawalCreated, EventWithdrawalStatusUpdated:
		return new(Withdrawal)
	case EventPayoutCreated, EventPayoutStatusUpdated:
		return new(Transfer)
	case EventVirtualAccountRegistered:
		return new(InternalAddress)
	case EventBalanceUpdated:
		return new(AccountBalance)
	case EventEndUserCreated, EventEndUserUpdated, EventEndUserStatusUpdated:
		return new(EndUser)
	case EventPayeeCreated:
		return new(Payee)
	case EventPayeeStatusUpdated:
		return new(PayeeAddress)
	}
	return nil
}

// Known reports whether t is a documented event type.
func (t EventType) Known() bool { return t.newData() != nil }

// Bounds on envelope identifiers, so a hostile value cannot become an
// unbounded inbox key or log line.
const (
	maxEventIDLen   = 256
	maxEventTypeLen = 128
)

// Envelope is the outer object of a webhook body. Both documented
// forms are accepted: EventId/EventType/Timestamp/Data with Data a JSON
// string holding the event data (the webhook document and the guide), and
// eventId/eventType/timestamp/data with data an embedded object (the
// documentation site's second version). Keys are matched without regard
// to case; Data may be a string or an object in either casing. A key given
// twice (in any casing) is an error, so no two readers can disagree about
// which one counts. Other keys are ignored.
type Envelope struct {
	EventID   string      // non-empty; the idempotency key
	EventType EventType   // non-empty; may be a type this package does not know
	Timestamp hercle.Time // when the event occurred; zero if absent
	// Data is the event data as JSON: the embedded object, or the text of
	// the string form. It is always an object or an array.
	Data json.RawMessage
	// DataWasString reports that Data arrived as a JSON string.
	DataWasString bool
}

// ParseEnvelope decodes a webhook body's envelope without
// interpreting Data. Errors wrap ErrBadEnvelope.
//
// The body is read in one pass by the scanner in webhook_scan.go, which
// accepts what encoding/json accepts; each member's value is checked as
// encoding/json's Decoder would check it, so errors come in the order a
// streaming decoder meets them: a malformed member, then a repeated key,
// then data after the object, then the fields' own checks. Data is a copy,
// never a slice of body.
func ParseEnvelope(body []byte) (Envelope, error) {
	var env Envelope
	fail := func(format string, a ...any) (Envelope, error) {
		return Envelope{}, fmt.Errorf("%w: "+format, append([]any{ErrBadEnvelope}, a...)...)
	}
	i := jsonSkipWS(body, 0)
	if i >= len(body) || body[i] != '{' {
		return fail("not a JSON object")
	}
	var id, typ, ts, data []byte
	// depth 0: a Decoder reading member by member counts each value's
	// nesting on its own, not inside the envelope.
	it := jsonObjectIter{b: body, i: i + 1}
	for it.next() {
		var dst *[]byte
		switch {
		case it.keyFold("eventId"):
			dst = &id
		case it.keyFold("eventType"):
			dst = &typ
		case it.keyFold("timestamp"):
			dst = &ts
		case it.keyFold("data"):
			dst = &data
		default:
			continue
		}
		if *dst != nil {
			return fail("key %q given twice", strings.ToLower(it.keyText()))
		}
		*dst = it.value
	}
	if it.bad {
		return fail("malformed JSON")
	}
	if jsonSkipWS(body, it.i) != len(body) {
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
	env.EventType = EventType(t)
	if ts != nil {
		if s, ok := jsonPlainString(ts); ok {
			// What Time.UnmarshalJSON does with a string, without a
			// json.Unmarshal to read it.
			env.Timestamp.Raw = s
			env.Timestamp.Time, _ = hercle.ParseTime(s)
		} else if err := env.Timestamp.UnmarshalJSON(ts); err != nil {
			return fail("timestamp: %v", err)
		}
	}
	if env.Data, env.DataWasString, err = envelopeData(data); err != nil {
		return fail("%v", err)
	}
	return env, nil
}

// envelopeString reads an identifier: raw is nil (absent) or one valid
// JSON value.
func envelopeString(raw []byte, key string, max int) (string, error) {
	if raw == nil {
		return "", fmt.Errorf("no %s", key)
	}
	var s string
	switch raw[0] {
	case '"':
		if plain := raw[1 : len(raw)-1]; bytes.IndexByte(plain, '\\') < 0 && utf8.Valid(plain) {
			// The literal's bytes are its text, and the scanner refused
			// control characters below 0x20: the checks below, without
			// a copy of a text that fails them.
			switch {
			case len(plain) == 0:
				return "", fmt.Errorf("%s is empty", key)
			case len(plain) > max:
				return "", fmt.Errorf("%s longer than %d bytes", key, max)
			case bytes.IndexByte(plain, 0x7f) >= 0 || bytes.ContainsRune(plain, utf8.RuneError):
				return "", fmt.Errorf("%s has control or invalid characters", key)
			}
			return string(plain), nil
		}
		var u string // escapes to the heap: only on this path
		if json.Unmarshal(raw, &u) != nil {
			return "", fmt.Errorf("%s is not a string", key)
		}
		s = u
	case 'n':
		// null: json.Unmarshal leaves the string empty.
	default:
		return "", fmt.Errorf("%s is not a string", key)
	}
	switch {
	case s == "":
		return "", fmt.Errorf("%s is empty", key)
	case len(s) > max:
		return "", fmt.Errorf("%s longer than %d bytes", key, max)
	case !utf8.Valid(raw) || strings.ContainsRune(s, utf8.RuneError) ||
		strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		// Invalid UTF-8 in the literal, and an escaped lone surrogate,
		// decode to U+FFFD: two different ids would become one
		// idempotency key.
		return "", fmt.Errorf("%s has control or invalid characters", key)
	}
	return s, nil
}

// envelopeData returns the event data as JSON, unwrapping the string form.
// raw is nil (absent) or one valid JSON value, which is copied.
func envelopeData(raw []byte) (json.RawMessage, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false, errors.New("no data")
	}
	wasString := false
	if raw[0] == '"' {
		s, ok := jsonUnquote(raw) // new memory
		if !ok {
			return nil, false, errors.New("data is a malformed string")
		}
		raw = bytes.TrimSpace(s)
		wasString = true
		if !jsonValid(raw) {
			return nil, false, errors.New("data string does not hold JSON")
		}
	}
	if len(raw) == 0 || raw[0] != '{' && raw[0] != '[' {
		return nil, false, errors.New("data is neither an object nor a string holding one")
	}
	if !wasString {
		raw = bytes.Clone(raw)
	}
	return raw, wasString, nil
}

// StatusChange is the StatusChange part of a status-update event
// sent in the wrapped form {"StatusChange": {...}, "Resource": {...}},
// which the webhook page's envelope example shows.
type StatusChange struct {
	Previous string
	Current  string
}

// Event is a decoded webhook: its envelope and typed data.
type Event struct {
	Envelope
	// Payload is the typed data for a documented event type (see
	// EventType's constants for the type of each), or nil for an
	// event type this package does not know, whose data stays in Data.
	Payload Data
	// StatusChange is set when the data came in the wrapped form, the
	// resource then being what Payload holds.
	StatusChange *StatusChange
}

// ErrEventData is wrapped by DecodeEvent when the envelope is sound
// but a known event type's data does not fit its model.
var ErrEventData = errors.New("hercle: webhook: event data does not match its type")

// DecodeEvent decodes a webhook body (already verified) into its
// envelope and typed data. Unknown keys inside the data are ignored, so a
// venue addition never fails an event; an unknown event type is not an
// error (Payload is nil). Errors wrap ErrBadEnvelope or ErrEventData.
func DecodeEvent(body []byte) (*Event, error) {
	return decodeWebhookEvent(body, false)
}

func decodeWebhookEvent(body []byte, strict bool) (*Event, error) {
	env, err := ParseEnvelope(body)
	if err != nil {
		return nil, err
	}
	ev := &Event{Envelope: env}
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
	if eu, ok := model.(*EndUser); ok {
		err = decodeEndUser(data, eu, strict)
	} else {
		err = decodeModel(data, model, strict)
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

// decodeModel decodes event data, which is always exactly one valid JSON
// value (the envelope checked it), into a model. json.Unmarshal then does
// what decodeJSON does, without a Decoder's buffers; only strict needs one.
func decodeModel(b []byte, v any, strict bool) error {
	if strict {
		return decodeJSON(b, v, true)
	}
	return json.Unmarshal(b, v)
}

// unwrapStatusChange recognises {"StatusChange": {...}, "Resource": {...}}.
// Keys are compared after strings.ToLower. Of keys that lower to the same
// text, the last one counts (encoding/json's rule for a repeated key); in
// strict mode the first unknown StatusChange key is the one reported.
func unwrapStatusChange(b []byte, strict bool) (*StatusChange, json.RawMessage, bool, error) {
	it, ok := jsonObject(b)
	if !ok {
		return nil, nil, false, nil
	}
	var resource, change []byte
	other := false
	for it.next() {
		switch {
		case it.keyLower("resource"):
			resource = it.value
		case it.keyLower("statuschange"):
			change = it.value
		default:
			other = true
		}
	}
	if !jsonObjectEnd(&it) || resource == nil || change == nil {
		return nil, nil, false, nil
	}
	if strict && other {
		return nil, nil, false, errors.New("wrapped status change has keys besides StatusChange and Resource")
	}
	var previous, current []byte
	var unknown []byte // the first key neither previous nor current
	if it, ok = jsonObject(change); ok {
		for it.next() {
			switch {
			case it.keyLower("previous"):
				previous = it.value
			case it.keyLower("current"):
				current = it.value
			case unknown == nil:
				unknown = it.key
			}
		}
	}
	if !ok || !jsonObjectEnd(&it) {
		return nil, nil, false, errors.New("StatusChange is not an object")
	}
	if strict && unknown != nil {
		return nil, nil, false, fmt.Errorf("StatusChange has unknown key %q", strings.ToLower(jsonKeyText(unknown)))
	}
	return &StatusChange{Previous: statusText(previous), Current: statusText(current)}, resource, true, nil
}

// statusText is text for a value that may be absent (nil), without a
// json.Unmarshal for a plain string.
func statusText(v []byte) string {
	if v == nil {
		return ""
	}
	if s, ok := jsonPlainString(v); ok {
		return s
	}
	return jsonText(v)
}

func decodeEndUser(b []byte, eu *EndUser, strict bool) error {
	business, person := false, false
	it, ok := jsonObject(b)
	if ok {
		for it.next() {
			switch {
			case it.keyLower("business"):
				business = true
			case it.keyLower("person"):
				person = true
			}
		}
	}
	if !ok || !jsonObjectEnd(&it) {
		return errors.New("end user data is not an object")
	}
	switch {
	case business && person:
		return errors.New("end user data has both Person and Business")
	case business:
		eu.Business = new(BusinessEndUser)
		return decodeModel(b, eu.Business, strict)
	case person:
		eu.Individual = new(IndividualEndUser)
		return decodeModel(b, eu.Individual, strict)
	}
	return errors.New("end user data has neither Person nor Business")
}

// MarshalJSON writes whichever of Individual and Business is set.
func (eu EndUser) MarshalJSON() ([]byte, error) {
	switch {
	case eu.Business != nil:
		return json.Marshal(eu.Business)
	case eu.Individual != nil:
		return json.Marshal(eu.Individual)
	}
	return []byte("null"), nil
}

// jsonText is a JSON value as text: a string's content, null as "",
// anything else as its compact literal.
func jsonText(v []byte) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	v = bytes.TrimSpace(v)
	if bytes.Equal(v, []byte("null")) {
		return ""
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return string(v)
	}
	return buf.String()
}
