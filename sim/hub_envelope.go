package sim

import "fmt"

// HubEnvelope is the form in which the hub passes its message envelope
// {channel, topic, subject, type, clientId, data} to a client's
// executionEvents and subscriptions handlers. The references show three
// (hercle-docs/websocket-and-webhooks.md §2.5); a client that accepts all
// of them is tested against each.
type HubEnvelope int

const (
	// EnvelopeString passes the envelope as a JSON string holding the
	// envelope object, its data a JSON string holding the payload: the
	// guide's form, read by JSON.parse(message) and then
	// JSON.parse(response.data). The zero value and the default.
	EnvelopeString HubEnvelope = iota
	// EnvelopeObject passes the envelope as an object whose data is a
	// JSON string, as the hub errors page shows it ("data": "{...}").
	EnvelopeObject
	// EnvelopeEmbedded passes an object with data embedded as an object
	// or array, as every command page's example response shows it.
	EnvelopeEmbedded
)

var hubEnvelopeNames = [...]string{EnvelopeString: "string", EnvelopeObject: "object", EnvelopeEmbedded: "embedded"}

// String returns the form's name: string, object or embedded.
func (e HubEnvelope) String() string {
	if e >= 0 && int(e) < len(hubEnvelopeNames) {
		return hubEnvelopeNames[e]
	}
	return fmt.Sprintf("HubEnvelope(%d)", int(e))
}

// ParseHubEnvelope reads a form's name: "string", "object" or "embedded".
func ParseHubEnvelope(s string) (HubEnvelope, error) {
	for i, n := range hubEnvelopeNames {
		if s == n {
			return HubEnvelope(i), nil
		}
	}
	return 0, fmt.Errorf("hub envelope %q: want string (the guide's JSON.parse form), object or embedded", s)
}
