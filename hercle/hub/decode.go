package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/otcdesk/engine/hercle"
)

// DecodeEvent decodes one hub message argument: the envelope
// {channel, topic, subject, type, clientId, data} as a JSON object or a JSON
// string holding one, with data as an embedded object or array or a string
// holding JSON.
//
// For an unknown subject it returns the event (Data is the raw payload) and
// ErrUnknownSubject; other errors wrap ErrMalformed, ErrBadData or
// ErrWrongType and return a zero event. It never panics.
func DecodeEvent(arg []byte) (Event, error) {
	var d hubDecoder
	return d.decode(arg)
}

// hubDecoder holds scratch buffers reused across messages by one goroutine.
type hubDecoder struct {
	env   []byte            // unescaped envelope when it arrived as a string
	buf   []byte            // unescaped data when it arrived as a string
	pairs map[string]string // pair names seen, so each is allocated once

	priceData []byte // a price update's data between decodeRest and decodeFast
}

// maxPairNames bounds the pair-name cache against a hostile stream.
const maxPairNames = 1024

// pair returns the pair name in v, shared with earlier messages.
func (d *hubDecoder) pair(v []byte) (string, error) {
	if len(v) >= 2 && v[0] == '"' {
		if s, ok := d.pairs[string(v[1:len(v)-1])]; ok {
			return s, nil
		}
	}
	s, err := unquoteOrNull(v)
	if err == nil && len(d.pairs) < maxPairNames {
		if d.pairs == nil {
			d.pairs = map[string]string{}
		}
		d.pairs[s] = s
	}
	return s, err
}

func (d *hubDecoder) decode(arg []byte) (Event, error) {
	ev, p, isPrice, err := d.decodeFast(arg)
	if isPrice && err == nil {
		ev.Data = p
	}
	return ev, err
}

// decodeFast is decode without boxing a price update into Event.Data:
// for execution.feeds.priceUpdate it returns the update in p, isPrice set.
// Errors are as decode's; an unknown subject returns the event too.
func (d *hubDecoder) decodeFast(arg []byte) (Event, PriceUpdate, bool, error) {
	ev, err := d.decodeRest(arg)
	if err == errPricePending {
		p, err := d.decodePriceUpdate(d.priceData)
		d.priceData = nil
		if err != nil {
			return Event{}, PriceUpdate{}, false, err
		}
		return ev, p, true, nil
	}
	return ev, PriceUpdate{}, false, err
}

// errPricePending tells decodeFast that the envelope is a price update
// whose data (in d.priceData) is still to be decoded; it never leaves this file.
var errPricePending = errors.New("hercle: price update pending")

func (d *hubDecoder) decodeRest(arg []byte) (Event, error) {
	var ev Event
	arg = bytes.TrimSpace(arg)
	if len(arg) > 0 && arg[0] == '"' {
		env, copied, err := unquoteBytes(arg, d.env)
		if err != nil {
			return Event{}, fmt.Errorf("%w: envelope string", ErrMalformed)
		}
		if copied {
			d.env = env[:0]
		}
		arg = env
	}
	var data []byte
	err := scanObject(arg, func(key, value []byte) error {
		var err error
		switch {
		case keyIs(key, "channel"):
			ev.Channel, err = internOrUnquote(value)
		case keyIs(key, "topic"):
			ev.Topic, err = internOrUnquote(value)
		case keyIs(key, "subject"):
			ev.Subject, err = internOrUnquote(value)
		case keyIs(key, "type"):
			ev.Type, err = internOrUnquote(value)
		case keyIs(key, "clientId"):
			ev.ClientID, err = unquoteOrNull(value)
		case keyIs(key, "data"):
			data = value
		}
		return err
	})
	if err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if ev.Subject == "" {
		return Event{}, fmt.Errorf("%w: no subject", ErrMalformed)
	}
	if len(data) > 0 && data[0] == '"' {
		ev.DataWasString = true
		s, copied, err := unquoteBytes(data, d.buf)
		if err != nil {
			return Event{}, fmt.Errorf("%w: data string", ErrMalformed)
		}
		if copied {
			d.buf = s[:0]
		}
		data = bytes.TrimSpace(s)
		if IsErrorSubject(ev.Subject) && !json.Valid(data) {
			// An error's data may be a bare message rather than JSON.
			ev.Data = &Error{Subject: ev.Subject, ClientID: ev.ClientID, Message: string(data)}
			ev.Raw = json.RawMessage(mustJSONString(string(data)))
			return ev, nil
		}
	}
	if ev.Subject == SubjectPriceUpdate {
		// Raw is left empty on the hot path: the typed value carries everything.
		d.priceData = data
		return ev, errPricePending
	}
	if len(data) == 0 || !json.Valid(data) {
		return Event{}, fmt.Errorf("%w: subject %s", ErrBadData, ev.Subject)
	}
	ev.Raw = append(json.RawMessage(nil), data...)
	if IsErrorSubject(ev.Subject) {
		ev.Data = decodeHubError(ev, data)
		return ev, nil
	}
	dec, ok := subjectDecoders[ev.Subject]
	if !ok {
		ev.Data = ev.Raw
		return ev, fmt.Errorf("%w: %q", ErrUnknownSubject, redactSnippet(ev.Subject))
	}
	v, err := dec(data)
	if err != nil {
		return Event{}, fmt.Errorf("%w: %s: %v", ErrWrongType, ev.Subject, err)
	}
	ev.Data = v
	return ev, nil
}

// internOrUnquote returns a shared string for the escape-free values every
// price update repeats (channel, topic, subject, type), so decoding them
// does not allocate; anything else is unquoted. Pair names are not among
// them (the set is the venue's): see hubDecoder.pair.
func internOrUnquote(v []byte) (string, error) {
	if len(v) >= 2 && v[0] == '"' {
		switch string(v[1 : len(v)-1]) {
		case ChannelExecutionEvents:
			return ChannelExecutionEvents, nil
		case ChannelSubscriptions:
			return ChannelSubscriptions, nil
		case SubjectPriceUpdate:
			return SubjectPriceUpdate, nil
		case "message":
			return "message", nil
		case "Execution":
			return "Execution", nil
		case "Subscriptions":
			return "Subscriptions", nil
		case "execution":
			return "execution", nil
		}
	}
	return unquoteOrNull(v)
}

func unquoteOrNull(v []byte) (string, error) {
	if string(v) == "null" {
		return "", nil
	}
	return unquote(v)
}

func mustJSONString(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

func decodeHubError(ev Event, data []byte) *Error {
	e := &Error{Subject: ev.Subject, ClientID: ev.ClientID}
	switch data[0] {
	case '{':
		var body struct {
			Message     json.RawMessage `json:"message"`
			StatusError json.RawMessage `json:"statusError"`
		}
		if json.Unmarshal(data, &body) == nil {
			e.Message = textOf(body.Message)
			e.StatusError = textOf(body.StatusError)
			return e
		}
	case '"':
		var s string
		if json.Unmarshal(data, &s) == nil {
			e.Message = s
			return e
		}
	}
	e.Message = string(data)
	return e
}

// textOf returns a JSON string's text, or other JSON as written.
func textOf(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// subjectDecoders maps every documented reply subject to its payload decoder.
// It is read-only after package initialisation.
var subjectDecoders = map[string]func([]byte) (any, error){
	SubjectPairs:                      decodeList[hercle.Pair],
	SubjectPairPrice:                  decodeOne[hercle.SizeQuote],
	SubjectOrderExecuted:              decodeOne[hercle.Execution],
	SubjectRFQCreated:                 decodeOne[hercle.RFQ],
	SubjectOrdersSnapshot:             decodeList[hercle.Order],
	SubjectTradesSnapshot:             decodeList[hercle.Trade],
	SubjectTransactionsSnapshot:       decodeList[hercle.Transaction],
	SubjectBalancesSnapshot:           decodeOne[hercle.Balances],
	SubjectWithdrawCreated:            decodeOne[hercle.Withdrawal],
	SubjectWithdrawalsSnapshot:        decodeList[hercle.Withdrawal],
	SubjectAddressRegistered:          decodeOne[hercle.AddressResult],
	SubjectExternalAddressesSnapshot:  decodeList[hercle.WhitelistedAddress],
	SubjectInternalAddressCreated:     decodeOne[hercle.DepositAddress],
	SubjectInternalAddressesSnapshot:  decodeList[hercle.DepositAddress],
	SubjectTransferCreated:            decodeOne[hercle.TransferReceipt],
	SubjectTransfersSnapshot:          decodeList[hercle.Transfer],
	SubjectLedgerDetails:              decodeOne[hercle.LedgerTransaction],
	SubjectPayeeRegistered:            decodeOne[hercle.Payee],
	SubjectPayeeAddressRegistered:     decodeOne[hercle.PayeeAddress],
	SubjectPayeesSnapshot:             decodeList[hercle.Payee],
	SubjectPayeeAddressesSnapshot:     decodeList[hercle.PayeeAddress],
	SubjectInvoiceCreated:             decodeOne[hercle.Invoice],
	SubjectInvoicesSnapshot:           decodeList[hercle.LightningInvoice],
	SubjectLightningWithdrawalCreated: decodeOne[hercle.LightningPayment],
}

// decodeOne decodes an object; a one-element array (the REST shape of some
// replies) is accepted too.
func decodeOne[T any](data []byte) (any, error) {
	var v T
	if data[0] == '[' {
		var list []T
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, err
		}
		if len(list) != 1 {
			return nil, fmt.Errorf("%d elements where one object belongs", len(list))
		}
		return list[0], nil
	}
	if data[0] != '{' {
		return nil, errors.New("not an object")
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// decodeList decodes an array; a single object becomes a one-element list,
// and null an empty one.
func decodeList[T any](data []byte) (any, error) {
	switch data[0] {
	case '[':
		var list []T
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, err
		}
		return list, nil
	case '{':
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return []T{v}, nil
	case 'n':
		return []T{}, nil
	}
	return nil, errors.New("not an array")
}
