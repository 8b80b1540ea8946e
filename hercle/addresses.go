package hercle

import (
	"context"
	"fmt"
)

// WhitelistRequest asks to whitelist a withdrawal address
// (POST /api/v1/addresses/whitelist).
type WhitelistRequest struct {
	Name    string `json:"name"`
	Asset   string `json:"asset"`
	Address string `json:"address"`
	Network string `json:"network"` // as Networks spells it
}

// WhitelistParamsRequest whitelists an address that needs extra parameters
// (POST /api/v1/addresses/whitelist/params), for example {"id", "hostedby"}.
type WhitelistParamsRequest struct {
	Name          string `json:"name"`
	Asset         string `json:"asset"`
	Address       string `json:"address"`
	AddressParams Params `json:"addressParams"`
	Network       string `json:"network"`
}

// AddressResult answers whitelisting and removal. HTTPStatusCode repeats
// the HTTP status in the body; EndUserID is on the documentation site only.
type AddressResult struct {
	HTTPStatusCode int    `json:"httpStatusCode"`
	AddressID      string `json:"addressId"`
	EndUserID      string `json:"endUserId,omitempty"`
	Message        string `json:"message"`
}

// WhitelistedAddress is an entry of the withdrawal whitelist. AuditDate is
// "" in the collection's sample (a Time with an empty Raw, not an error).
type WhitelistedAddress struct {
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	UserID        string        `json:"userId"`
	Asset         string        `json:"asset"`
	Address       string        `json:"address"`
	AddressParams Params        `json:"addressParams"`
	Network       string        `json:"network"`
	Status        AddressStatus `json:"status"`
	Comment       string        `json:"comment"`
	AuditBy       string        `json:"auditBy"`
	EndUserID     string        `json:"endUserId,omitempty"`
	AuditDate     Time          `json:"auditDate"`
	Enabled       bool          `json:"enabled"`
	Deleted       bool          `json:"deleted"`
	CreationDate  Time          `json:"creationDate"`
}

// DepositAddressRequest asks for a deposit address
// (POST /api/v1/addresses/deposit).
type DepositAddressRequest struct {
	Asset   string `json:"asset"`
	Network string `json:"network"`
}

// DepositAddress is an address (crypto) or bank account (fiat) the account
// receives funds on. The ref* fields are on the documentation site only;
// the collection's sample has CreationDate "0001-01-01T00:00:00" (no zone:
// read as UTC, which is Go's zero time, so Valid is false and Raw keeps it).
type DepositAddress struct {
	ID                string             `json:"id"`
	Name              string             `json:"name"`
	UserID            string             `json:"userId"`
	EndUserID         string             `json:"endUserId,omitempty"` // string or null
	Asset             string             `json:"asset"`
	Address           string             `json:"address"`
	AddressParams     Params             `json:"addressParams"`
	Network           string             `json:"network"`
	Deleted           bool               `json:"deleted"`
	CreationDate      Time               `json:"creationDate,omitzero"`
	RefAccountID      string             `json:"refAccountId,omitempty"`
	RefAccountType    string             `json:"refAccountType,omitempty"` // e.g. VIRTUAL_ACCOUNT, CRYPTO_ACCOUNT
	RefAccountDetails *RefAccountDetails `json:"refAccountDetails,omitempty"`
}

// RefAccountDetails describes the account behind a deposit address: bank
// details for fiat, or crypto account details. The docs give two objects;
// this is their union, so one type decodes either (fields of the other
// kind stay empty). The crypto fields beyond id and address come from the
// hub's create-deposit-address page, the REST page being cut there.
type RefAccountDetails struct {
	// Bank details (fiat).
	BankName          string       `json:"bankName,omitempty"`
	AccountHolderName string       `json:"accountHolderName,omitempty"`
	Country           string       `json:"country,omitempty"`
	AccountNumber     string       `json:"accountNumber,omitempty"`
	RoutingCodes      RoutingCodes `json:"routingCodes,omitempty"`
	IBAN              string       `json:"iban,omitempty"`
	BIC               string       `json:"bic,omitempty"`
	// Crypto account details.
	ID                string `json:"id,omitempty"`
	Address           string `json:"address,omitempty"`
	LegacyAddress     string `json:"legacyAddress,omitempty"`
	EnterpriseAddress string `json:"enterpriseAddress,omitempty"`
	Tag               string `json:"tag,omitempty"`
	EOSAccountName    string `json:"eosAccountName,omitempty"`
	Status            string `json:"status,omitempty"`
	ActivationTxID    string `json:"activationTxId,omitempty"`
}

// WhitelistAddress asks to whitelist a withdrawal address; the venue
// reviews it (see WhitelistedAddress.Status).
func (c *Client) WhitelistAddress(ctx context.Context, req WhitelistRequest) (AddressResult, error) {
	var out AddressResult
	if req.Asset == "" || req.Address == "" || req.Network == "" {
		return out, fmt.Errorf("%w: whitelisting needs asset, address and network", ErrInvalidInput)
	}
	return out, c.do(ctx, request{route: routeWhitelist, body: req}, &out)
}

// WhitelistAddressWithParams whitelists an address with extra parameters.
func (c *Client) WhitelistAddressWithParams(ctx context.Context, req WhitelistParamsRequest) (AddressResult, error) {
	var out AddressResult
	if req.Asset == "" || req.Address == "" || req.Network == "" {
		return out, fmt.Errorf("%w: whitelisting needs asset, address and network", ErrInvalidInput)
	}
	return out, c.do(ctx, request{route: routeWhitelistWithParams, body: req}, &out)
}

// WhitelistedAddresses lists the withdrawal whitelist.
func (c *Client) WhitelistedAddresses(ctx context.Context) ([]WhitelistedAddress, error) {
	var out []WhitelistedAddress
	return out, c.do(ctx, request{route: routeWhitelisted}, &out)
}

// RemoveWhitelistedAddress deletes a whitelist entry for good. The id goes
// in the body as "addressId" (the docs' schema and the collection; the
// docs' cURL sample's "id" is not sent).
func (c *Client) RemoveWhitelistedAddress(ctx context.Context, addressID string) (AddressResult, error) {
	var out AddressResult
	if addressID == "" {
		return out, fmt.Errorf("%w: removal needs an address id", ErrInvalidInput)
	}
	body := struct {
		AddressID string `json:"addressId"`
	}{addressID}
	return out, c.do(ctx, request{route: routeRemoveWhitelisted, body: body}, &out)
}

// DepositAddresses lists the account's deposit addresses.
func (c *Client) DepositAddresses(ctx context.Context) ([]DepositAddress, error) {
	var out []DepositAddress
	return out, c.do(ctx, request{route: routeDepositAddresses}, &out)
}

// CreateDepositAddress creates a deposit address. The docs answer with the
// address; the collection documents no body (201), in which case the
// result is nil with no error — list DepositAddresses to find it.
func (c *Client) CreateDepositAddress(ctx context.Context, req DepositAddressRequest) (*DepositAddress, error) {
	if req.Asset == "" || req.Network == "" {
		return nil, fmt.Errorf("%w: deposit address needs asset and network", ErrInvalidInput)
	}
	var out *DepositAddress
	if err := c.do(ctx, request{route: routeCreateDepositAddr, body: req, emptyOK: true}, &out); err != nil {
		return nil, err
	}
	return out, nil
}
