package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxBody bounds a request body.
const maxBody = 1 << 20

// decodeBody reads one JSON object from r into dst strictly: an unknown
// field, trailing data, a quoted or non-numeric amount, or a body over
// maxBody is an error naming the problem but never echoing the body.
func decodeBody(r io.Reader, dst any) error {
	data, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return invalid("", "request body could not be read")
	}
	if len(data) > maxBody {
		return invalid("", "request body is larger than %d bytes", maxBody)
	}
	return decodeJSON(data, dst)
}

func decodeJSON(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return invalid(te.Field, "%s has the wrong type", te.Field)
		case errors.Is(err, errNotNumber):
			return invalid("", "amounts must be JSON numbers")
		case errors.Is(err, io.EOF):
			return invalid("", "request body is empty")
		}
		if f, ok := unknownField(err); ok {
			return invalid(f, "unknown field %s", f)
		}
		return invalid("", "request body is not valid JSON for this endpoint")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("", "request body has data after the JSON object")
	}
	return nil
}

// unknownField extracts the field name of encoding/json's unknown-field
// error, the only way it reports one.
func unknownField(err error) (string, bool) {
	var f string
	if _, scanErr := fmt.Sscanf(err.Error(), "json: unknown field %q", &f); scanErr == nil {
		return f, true
	}
	return "", false
}

type orderBody struct {
	PriceID  string `json:"priceId"`
	Side     string `json:"side"`
	Slippage *num   `json:"slippage"`
}

type rfqBody struct {
	Pair                string `json:"pair"`
	Side                string `json:"side"`
	Size                *num   `json:"size"`
	Amount              *num   `json:"amount"`
	ExpirationInSeconds *int   `json:"expirationInSeconds"`
}

type acceptBody struct {
	RequestForQuoteID string `json:"requestForQuoteId"`
}

type whitelistBody struct {
	Name          string            `json:"name"`
	Asset         string            `json:"asset"`
	Address       string            `json:"address"`
	Network       string            `json:"network"`
	AddressParams map[string]string `json:"addressParams"`
}

// removeBody takes the id as the schema's addressId or as the page's cURL
// sample sends it, id.
type removeBody struct {
	AddressID string `json:"addressId"`
	ID        string `json:"id"`
}

type depositAddressBody struct {
	Asset   string `json:"asset"`
	Network string `json:"network"`
}

type withdrawBody struct {
	Asset         string            `json:"asset"`
	Amount        *num              `json:"amount"`
	Address       string            `json:"address"`
	Network       string            `json:"network"`
	AddressParams map[string]string `json:"addressParams"`
	IsInstant     *bool             `json:"isInstant"`
}

type invoiceBody struct {
	AmountBtc   *num   `json:"amountBtc"`
	ExpiryHours *int   `json:"expiryHours"`
	Memo        string `json:"memo"`
}

type lightningBody struct {
	PaymentRequestHash string `json:"paymentRequestHash"`
}

type addressBody struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
}

func (a *addressBody) check(prefix string) error {
	switch {
	case len(a.Line1) < 3 || len(a.Line1) > 140:
		return invalid(prefix+".line1", "%s.line1 must be 3 to 140 characters", prefix)
	case a.City == "":
		return missing(prefix + ".city")
	case a.PostalCode == "":
		return missing(prefix + ".postalCode")
	case len(a.Country) != 2:
		return invalid(prefix+".country", "%s.country must be an ISO 3166-1 alpha-2 code", prefix)
	}
	return nil
}

type businessBody struct {
	ID                 string       `json:"id"`
	CompanyName        string       `json:"companyName"`
	TradingName        string       `json:"tradingName"`
	Type               string       `json:"type"`
	RegistrationNumber string       `json:"registrationNumber"`
	RegistrationDate   string       `json:"registrationDate"`
	RegisteredAddress  *addressBody `json:"registeredAddress"`
	TradingAddress     *addressBody `json:"tradingAddress"`
	Website            string       `json:"website"`
	Phone              string       `json:"phone"`
}

type businessUserBody struct {
	Business        json.RawMessage   `json:"business"`
	BusinessPersons []json.RawMessage `json:"businessPersons"`
	IPAddress       string            `json:"ipAddress"`
	Sector          string            `json:"sector"`
}

type personBody struct {
	FirstName              string          `json:"firstName"`
	MiddleName             string          `json:"middleName"`
	LastName               string          `json:"lastName"`
	Dob                    string          `json:"dob"`
	Nationality            []string        `json:"nationality"`
	BirthCountry           string          `json:"birthCountry"`
	Phone                  string          `json:"phone"`
	Email                  string          `json:"email"`
	Address                *addressBody    `json:"address"`
	IdentificationDocument json.RawMessage `json:"identificationDocument"`
}

type individualUserBody struct {
	Person    json.RawMessage `json:"person"`
	IPAddress string          `json:"ipAddress"`
}

type depositAccountBody struct {
	Asset         string `json:"asset"`
	Network       string `json:"network"`
	FiatAccountID string `json:"fiatAccountId"`
	EndUserID     string `json:"endUserId"`
}

type payeeBody struct {
	Type       *int   `json:"type"`
	Name       string `json:"name"`
	EndUserID  string `json:"endUserId"`
	Surname    string `json:"surname"`
	Company    string `json:"company"`
	Country    string `json:"country"`
	State      string `json:"state"`
	City       string `json:"city"`
	Address    string `json:"address"`
	PostalCode string `json:"postalCode"`
}

type payeeAddressBody struct {
	Name          string            `json:"name"`
	Asset         string            `json:"asset"`
	Address       string            `json:"address"`
	AddressParams map[string]string `json:"addressParams"`
	Network       string            `json:"network"`
}

type transferBody struct {
	Asset             string `json:"asset"`
	Amount            *num   `json:"amount"`
	InternalAddressID string `json:"internalAddressId"`
	PayeeAddressID    string `json:"payeeAddressId"`
	Description       string `json:"description"`
}

type payInSenderBody struct {
	AccountHolderName string          `json:"accountHolderName"`
	IBAN              string          `json:"iban"`
	AccountNumber     string          `json:"accountNumber"`
	RoutingCodes      json.RawMessage `json:"routingCodes"`
}

type payInBody struct {
	Amount        *num             `json:"amount"`
	ToAddress     string           `json:"toAddress"`
	From          *payInSenderBody `json:"from"`
	FromType      string           `json:"fromType"`
	PaymentScheme string           `json:"paymentScheme"`
	Reference     string           `json:"reference"`
}
