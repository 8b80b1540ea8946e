package lnurl

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// payRequest is a decoded LUD-06 payRequest.
type payRequest struct {
	callback    *url.URL
	minSendable int64 // msat
	maxSendable int64 // msat
	metadata    string
	description string // the metadata's text/plain entry, if a string
}

// answerError is a service's {"status":"ERROR","reason":…} answer.
type answerError struct{ reason string }

func (e *answerError) Error() string { return fmt.Sprintf("the service answered ERROR %q", e.reason) }

// statusError returns an *answerError when status is LUD-06's "ERROR".
func statusError(status, reason string) error {
	if strings.EqualFold(status, "ERROR") {
		return &answerError{reason: clip(reason, maxReason)}
	}
	return nil
}

// decodeJSON decodes an answer into v, naming a field of the wrong type.
func decodeJSON(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("field %s is a JSON %s, want %s", clip(te.Field, 40), te.Value, te.Type)
	}
	return errors.New("the answer is not a JSON object")
}

// decodePayRequest decodes the answer to the payRequest GET: LUD-06's
// payRequest, checked (tag, an allowed callback URL, integer bounds with
// 1 ≤ min ≤ max, metadata a JSON array of arrays each led by a string),
// or its ERROR form as an *answerError.
func decodePayRequest(body []byte, allowHTTP bool) (payRequest, error) {
	var w struct {
		Status      string      `json:"status"`
		Reason      string      `json:"reason"`
		Tag         string      `json:"tag"`
		Callback    string      `json:"callback"`
		MinSendable json.Number `json:"minSendable"`
		MaxSendable json.Number `json:"maxSendable"`
		Metadata    string      `json:"metadata"`
	}
	if err := decodeJSON(body, &w); err != nil {
		return payRequest{}, err
	}
	if err := statusError(w.Status, w.Reason); err != nil {
		return payRequest{}, err
	}
	if w.Tag != "payRequest" {
		return payRequest{}, fmt.Errorf("tag %q is not payRequest: the destination is not a pay link", clip(w.Tag, 40))
	}
	var p payRequest
	var err error
	if p.callback, err = url.Parse(w.Callback); err != nil || w.Callback == "" {
		return payRequest{}, errors.New("callback is not a URL")
	}
	if err := checkURL(p.callback, allowHTTP); err != nil {
		return payRequest{}, fmt.Errorf("callback: %v", err)
	}
	if p.minSendable, err = msatField("minSendable", w.MinSendable); err != nil {
		return payRequest{}, err
	}
	if p.maxSendable, err = msatField("maxSendable", w.MaxSendable); err != nil {
		return payRequest{}, err
	}
	if p.minSendable < 1 || p.maxSendable < p.minSendable {
		return payRequest{}, fmt.Errorf("minSendable %d and maxSendable %d: want 1 ≤ min ≤ max", p.minSendable, p.maxSendable)
	}
	if p.description, err = metadataDescription(w.Metadata); err != nil {
		return payRequest{}, err
	}
	p.metadata = w.Metadata
	return p, nil
}

// msatField reads a millisatoshi bound: a JSON integer.
func msatField(name string, n json.Number) (int64, error) {
	if n == "" {
		return 0, fmt.Errorf("%s is missing", name)
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a whole number of millisatoshi", name, clip(n.String(), 30))
	}
	return v, nil
}

// metadataDescription checks LUD-06 metadata and returns its text/plain
// entry (empty if it has none or it is not a string).
func metadataDescription(metadata string) (string, error) {
	var entries []json.RawMessage
	if err := json.Unmarshal([]byte(metadata), &entries); err != nil || len(entries) == 0 {
		return "", errors.New("metadata is not a JSON array of entries")
	}
	var desc string
	for _, e := range entries {
		var entry []json.RawMessage
		var typ string
		if json.Unmarshal(e, &entry) != nil || len(entry) == 0 || json.Unmarshal(entry[0], &typ) != nil {
			return "", errors.New("metadata entries must be arrays led by a type string")
		}
		if typ == "text/plain" && len(entry) > 1 && desc == "" {
			json.Unmarshal(entry[1], &desc)
		}
	}
	return desc, nil
}

// callbackURL is the callback with amount=<msat> added (LUD-06 step 4:
// <callback><?|&>amount=); a query the service put there is kept as sent.
func callbackURL(callback *url.URL, msat int64) *url.URL {
	u := *callback
	u.Fragment, u.RawFragment = "", ""
	amount := "amount=" + strconv.FormatInt(msat, 10)
	if u.RawQuery == "" {
		u.RawQuery = amount
	} else {
		u.RawQuery += "&" + amount
	}
	return &u
}

// decodeCallback decodes the callback's answer: the BOLT11 invoice "pr",
// or the ERROR form as an *answerError. Other fields (routes,
// successAction, …) are ignored.
func decodeCallback(body []byte) (string, error) {
	var w struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
		PR     string `json:"pr"`
	}
	if err := decodeJSON(body, &w); err != nil {
		return "", err
	}
	if err := statusError(w.Status, w.Reason); err != nil {
		return "", err
	}
	if w.PR == "" {
		return "", errors.New("the answer has no invoice (pr)")
	}
	return w.PR, nil
}
