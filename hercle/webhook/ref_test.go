package webhook

// The reference: webhook_event.go's decoder as it was before the scanner
// (commit 039afa1), kept verbatim apart from the names (ref prefix) and one
// deliberate change made to both (refEnvelopeString refuses ids whose
// literal is invalid UTF-8 or decodes to U+FFFD), so the differential tests
// and FuzzWebhookDecodeMatchesReference can hold the fast decoder to exactly
// its behaviour. It is test code only.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// refParseWebhookEnvelope decodes a webhook body's envelope without
// interpreting Data. Errors wrap ErrBadEnvelope.
func refParseWebhookEnvelope(body []byte) (Envelope, error) {
	var env Envelope
	fail := func(format string, a ...any) (Envelope, error) {
		return Envelope{}, fmt.Errorf("%w: "+format, append([]any{ErrBadEnvelope}, a...)...)
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
	if env.EventID, err = refEnvelopeString(id, "eventId", maxEventIDLen); err != nil {
		return fail("%v", err)
	}
	var t string
	if t, err = refEnvelopeString(typ, "eventType", maxEventTypeLen); err != nil {
		return fail("%v", err)
	}
	env.EventType = EventType(t)
	if ts != nil {
		if err := env.Timestamp.UnmarshalJSON(ts); err != nil {
			return fail("timestamp: %v", err)
		}
	}
	if env.Data, env.DataWasString, err = refEnvelopeData(data); err != nil {
		return fail("%v", err)
	}
	return env, nil
}

func refEnvelopeString(raw json.RawMessage, key string, max int) (string, error) {
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
	case !utf8.Valid(raw) || strings.ContainsRune(s, utf8.RuneError) ||
		strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		// Invalid UTF-8 in the literal, and an escaped lone surrogate,
		// decode to U+FFFD: two different ids would become one
		// idempotency key.
		return "", fmt.Errorf("%s has control or invalid characters", key)
	}
	return s, nil
}

// refEnvelopeData returns the event data as JSON, unwrapping the string form.
func refEnvelopeData(raw json.RawMessage) (json.RawMessage, bool, error) {
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

// refDecodeWebhookEvent decodes a webhook body (already verified) into its
// envelope and typed data. Unknown keys inside the data are ignored, so a
// venue addition never fails an event; an unknown event type is not an
// error (Payload is nil). Errors wrap ErrBadEnvelope or ErrEventData.
func refDecodeWebhookEvent(body []byte) (*Event, error) {
	return refDecodeWebhookEventMode(body, false)
}

func refDecodeWebhookEventMode(body []byte, strict bool) (*Event, error) {
	env, err := refParseWebhookEnvelope(body)
	if err != nil {
		return nil, err
	}
	ev := &Event{Envelope: env}
	model := env.EventType.newData()
	if model == nil {
		return ev, nil
	}
	data := env.Data
	if change, resource, ok, err := refUnwrapStatusChange(data, strict); err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", ErrEventData, env.EventType, env.EventID, err)
	} else if ok {
		ev.StatusChange, data = change, resource
	}
	if eu, ok := model.(*EndUser); ok {
		err = refDecodeEndUser(data, eu, strict)
	} else {
		err = refDecodeJSON(data, model, strict)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", ErrEventData, env.EventType, env.EventID, err)
	}
	ev.Payload = model
	return ev, nil
}

// refDecodeJSON decodes exactly one JSON value into v; strict refuses keys v
// has no field for.
func refDecodeJSON(b []byte, v any, strict bool) error {
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

// refTopKeys returns an object's members by lower-cased key; ok is false when
// b is not an object.
func refTopKeys(b []byte) (map[string]json.RawMessage, bool) {
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

// refUnwrapStatusChange recognises {"StatusChange": {...}, "Resource": {...}}.
func refUnwrapStatusChange(b []byte, strict bool) (*StatusChange, json.RawMessage, bool, error) {
	m, ok := refTopKeys(b)
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
	sc, ok := refTopKeys(change)
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
	return &StatusChange{Previous: jsonText(sc["previous"]), Current: jsonText(sc["current"])}, resource, true, nil
}

func refDecodeEndUser(b []byte, eu *EndUser, strict bool) error {
	m, ok := refTopKeys(b)
	if !ok {
		return errors.New("end user data is not an object")
	}
	_, business := m["business"]
	_, person := m["person"]
	switch {
	case business && person:
		return errors.New("end user data has both Person and Business")
	case business:
		eu.Business = new(BusinessEndUser)
		return refDecodeJSON(b, eu.Business, strict)
	case person:
		eu.Individual = new(IndividualEndUser)
		return refDecodeJSON(b, eu.Individual, strict)
	}
	return errors.New("end user data has neither Person nor Business")
}
