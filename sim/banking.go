package sim

import (
	"encoding/json"
	"maps"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// EndUserKind tells business from individual end users.
type EndUserKind string

// End-user kinds.
const (
	Business   EndUserKind = "business"
	Individual EndUserKind = "individual"
)

// EndUser is a registered business or individual end user. Profile holds
// the registration document as received (the business and businessPersons
// objects, or the person object), which the venue stores without reading.
type EndUser struct {
	ID                 string
	Kind               EndUserKind
	Profile            map[string]json.RawMessage
	IPAddress          string
	Sector             string // businesses only
	RegistrationStatus string // ACTIVE
	Created, Updated   time.Time
}

// RegisterEndUser registers an end user. The caller validates the profile
// against the documented schema; the venue gives it an eus_… id.
func (v *Venue) RegisterEndUser(kind EndUserKind, profile map[string]json.RawMessage, ip, sector string) (EndUser, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if kind != Business && kind != Individual {
		return EndUser{}, invalid("kind", "unknown end-user kind %q", kind)
	}
	if ip == "" {
		return EndUser{}, missing("ipAddress")
	}
	u := &EndUser{ID: v.newTokenLocked("eus_"), Kind: kind, Profile: maps.Clone(profile), IPAddress: ip,
		Sector: sector, RegistrationStatus: "ACTIVE", Created: now, Updated: now}
	v.endUsers = append(v.endUsers, u)
	uc := *u
	v.emitLocked(now, func(h EventHeader) Event { return EndUserCreated{h, uc} })
	return uc, nil
}

// CursorQuery selects a page of a cursor-paginated listing: Size items (5
// to 50) created in [From, To] (each optional) after the item named by
// Token (empty for the first page).
type CursorQuery struct {
	Size     int
	From, To time.Time
	Token    string
}

// CursorPage is a page and the token of the next one; Next is empty on the
// last page.
type CursorPage[T any] struct {
	Items []T
	Next  string
}

// cursorToken is the documented token shape, a DynamoDB key:
// {"Id":{"S":"<id of the last item>"}}.
type cursorToken struct {
	ID struct {
		S string `json:"S"`
	} `json:"Id"`
}

// EncodeCursor returns the pagination token naming id.
func EncodeCursor(id string) string {
	var t cursorToken
	t.ID.S = id
	b, _ := json.Marshal(t)
	return string(b)
}

// DecodeCursor returns the id a pagination token names.
func DecodeCursor(token string) (string, error) {
	var t cursorToken
	if err := json.Unmarshal([]byte(token), &t); err != nil || t.ID.S == "" {
		return "", invalid("paginationToken", "paginationToken is not a token this venue issued")
	}
	return t.ID.S, nil
}

func cursorPage[T any](items []T, id func(T) string, at func(T) time.Time, q CursorQuery, maxRange time.Duration) (CursorPage[T], error) {
	if q.Size < MinPageSize || q.Size > MaxPageSize {
		return CursorPage[T]{}, invalid("pageSize", "pageSize must be from %d to %d, got %d", MinPageSize, MaxPageSize, q.Size)
	}
	if !q.From.IsZero() && !q.To.IsZero() {
		if q.To.Before(q.From) {
			return CursorPage[T]{}, invalid("to", "to is before from")
		}
		if maxRange > 0 && q.To.Sub(q.From) > maxRange {
			return CursorPage[T]{}, invalid("to", "date range is longer than %d days", int(maxRange.Hours()/24))
		}
	}
	start := 0
	if q.Token != "" {
		after, err := DecodeCursor(q.Token)
		if err != nil {
			return CursorPage[T]{}, err
		}
		start = -1
		for i, it := range items {
			if id(it) == after {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return CursorPage[T]{}, invalid("paginationToken", "paginationToken names no item")
		}
	}
	var page CursorPage[T]
	for i := start; i < len(items); i++ {
		t := at(items[i])
		if (!q.From.IsZero() && t.Before(q.From)) || (!q.To.IsZero() && t.After(q.To)) {
			continue
		}
		if len(page.Items) == q.Size {
			page.Next = EncodeCursor(id(page.Items[len(page.Items)-1]))
			break
		}
		page.Items = append(page.Items, items[i])
	}
	return page, nil
}

func derefAll[T any](ps []*T, keep func(*T) bool) []T {
	out := make([]T, 0, len(ps))
	for _, p := range ps {
		if keep == nil || keep(p) {
			out = append(out, *p)
		}
	}
	return out
}

// EndUsers lists end users of a kind.
func (v *Venue) EndUsers(kind EndUserKind, q CursorQuery) (CursorPage[EndUser], error) {
	v.begin()
	defer v.mu.Unlock()
	items := derefAll(v.endUsers, func(u *EndUser) bool { return u.Kind == kind })
	return cursorPage(items, func(u EndUser) string { return u.ID }, func(u EndUser) time.Time { return u.Created }, q, 0)
}

// DepositAccount is a banking deposit account: a virtual account (fiat)
// or a crypto address, optionally for an end user.
type DepositAccount struct {
	ID             string
	EndUserID      string
	Name           string
	Asset          market.Asset
	Network        string
	FiatAccountID  string // fac_…, fiat only
	RefAccountID   string // vac_… (fiat) or the blockchain address
	RefAccountType string
	Bank           *Account
	Created        time.Time
}

// DepositAccountRequest creates a deposit account.
type DepositAccountRequest struct {
	Asset         market.Asset
	Network       string
	FiatAccountID string // required for fiat: fac_…
	EndUserID     string // optional: eus_…
}

// CreateDepositAccount creates a deposit account; a pay-in to its
// RefAccountID or FiatAccountID credits its asset.
func (v *Venue) CreateDepositAccount(req DepositAccountRequest) (DepositAccount, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if l := len(req.Asset); l < 3 || l > 30 {
		return DepositAccount{}, invalid("asset", "asset must be 3 to 30 characters")
	}
	if l := len(req.Network); l < 3 || l > 30 {
		return DepositAccount{}, invalid("network", "network must be 3 to 30 characters")
	}
	if IsFiat(req.Asset) && !strings.HasPrefix(req.FiatAccountID, "fac_") {
		return DepositAccount{}, invalid("fiatAccountId", "fiatAccountId (fac_…) is required for a fiat asset")
	}
	if req.EndUserID != "" && !strings.HasPrefix(req.EndUserID, "eus_") {
		return DepositAccount{}, invalid("endUserId", "endUserId must start with eus_")
	}
	d := v.newDepositLocked(now, req.Asset, req.Network, req.EndUserID)
	a := &DepositAccount{ID: d.ID, EndUserID: req.EndUserID, Name: d.Name, Asset: d.Asset, Network: d.Network,
		FiatAccountID: req.FiatAccountID, RefAccountID: d.RefAccountID, RefAccountType: d.RefAccountType,
		Bank: d.Bank, Created: now}
	if a.RefAccountType == "CRYPTO_ACCOUNT" {
		a.RefAccountID = d.Address
	}
	v.depositAccounts = append(v.depositAccounts, a)
	return *a, nil
}

// DepositAccounts lists deposit accounts.
func (v *Venue) DepositAccounts(q CursorQuery) (CursorPage[DepositAccount], error) {
	v.begin()
	defer v.mu.Unlock()
	return cursorPage(derefAll(v.depositAccounts, nil), func(a DepositAccount) string { return a.ID },
		func(a DepositAccount) time.Time { return a.Created }, q, 0)
}

// PayeeType is Individual (0) or Company (1).
type PayeeType int

// Payee types.
const (
	PayeeIndividual PayeeType = 0
	PayeeCompany    PayeeType = 1
)

// Payee is a bank-transfer beneficiary.
type Payee struct {
	ID                     string
	EndUserID              string
	Type                   PayeeType
	Name, Surname, Company string
	Country, State, City   string
	Address, PostalCode    string
	Disabled, Deleted      bool
	Created                time.Time
}

// RegisterPayee registers a payee. The caller checks required fields.
func (v *Venue) RegisterPayee(p Payee) (Payee, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if p.Type != PayeeIndividual && p.Type != PayeeCompany {
		return Payee{}, invalid("type", "type must be 0 (individual) or 1 (company)")
	}
	if len(p.Country) != 2 {
		return Payee{}, invalid("country", "country must be an ISO 3166-1 alpha-2 code")
	}
	p.ID, p.Created, p.Disabled, p.Deleted = v.newIDLocked(), now, false, false
	pc := p
	v.payees = append(v.payees, &pc)
	v.emitLocked(now, func(h EventHeader) Event { return PayeeCreated{h, p} })
	return p, nil
}

// Payees lists payees; From..To may span at most 30 days.
func (v *Venue) Payees(q CursorQuery) (CursorPage[Payee], error) {
	v.begin()
	defer v.mu.Unlock()
	return cursorPage(derefAll(v.payees, nil), func(p Payee) string { return p.ID },
		func(p Payee) time.Time { return p.Created }, q, Range30Days)
}

// PayeeAddress is a payee's bank account or address. Status 0 CREATED,
// 1 PENDING, 2 REFUSED.
type PayeeAddress struct {
	ID        string
	PayeeID   string
	Name      string
	Asset     market.Asset
	Address   string
	Params    map[string]string
	Network   string
	Status    int
	Comment   string
	AuditBy   string
	AuditDate time.Time
	Deleted   bool
	Created   time.Time
}

// requiredPayeeParams lists the addressParams keys the docs require per
// asset and network (the page is cut inside the ACH list).
var requiredPayeeParams = map[string][]string{
	"EUR/SEPA":               {"bic"},
	"GBP/FASTER PAYMENTS":    {"sortcode"},
	"USD/INTERNATIONAL_WIRE": {"accountnumber", "bic", "aba", "bankname", "bankaddressline1", "bankaddresscity", "bankaddresspostalcode", "bankcountry"},
	"USD/DOMESTIC_WIRE":      {"accountnumber", "wire", "bankname"},
	"USD/ACH":                {"accountnumber", "aba", "accounttype"},
	"USD/ACH_SAME_DAY":       {"accountnumber", "aba", "accounttype"},
}

// RegisterPayeeAddress adds an address to a payee. The addressParams the
// docs require for the asset and network must be present. It stays CREATED
// until approved, unless Options.AutoApprovePayees.
func (v *Venue) RegisterPayeeAddress(a PayeeAddress) (PayeeAddress, error) {
	now := v.begin()
	defer v.mu.Unlock()
	found := false
	for _, p := range v.payees {
		found = found || p.ID == a.PayeeID
	}
	if !found {
		return PayeeAddress{}, notFound("payee", a.PayeeID)
	}
	for _, k := range requiredPayeeParams[strings.ToUpper(string(a.Asset)+"/"+a.Network)] {
		if a.Params[k] == "" {
			return PayeeAddress{}, missing("addressParams." + k)
		}
	}
	a.ID, a.Status, a.Created, a.Params = v.newIDLocked(), 0, now, maps.Clone(a.Params)
	if a.Params == nil {
		a.Params = map[string]string{}
	}
	ac := &a
	v.payeeAddresses = append(v.payeeAddresses, ac)
	created := ac.clone()
	v.emitLocked(now, func(h EventHeader) Event { return PayeeAddressCreated{h, created} })
	if v.opts.AutoApprovePayees {
		v.reviewPayeeAddressLocked(now, ac, PayeeAddressStatusApproved, "approved by the simulator")
	}
	return ac.clone(), nil
}

// PayeeAddresses lists a payee's addresses; From..To may span at most 30
// days.
func (v *Venue) PayeeAddresses(payeeID string, q CursorQuery) (CursorPage[PayeeAddress], error) {
	v.begin()
	defer v.mu.Unlock()
	if payeeID == "" {
		return CursorPage[PayeeAddress]{}, missing("payeeId")
	}
	items := derefAll(v.payeeAddresses, func(a *PayeeAddress) bool { return a.PayeeID == payeeID })
	return cursorPage(items, func(a PayeeAddress) string { return a.ID },
		func(a PayeeAddress) time.Time { return a.Created }, q, Range30Days)
}

// Transfer is a bank transfer from an internal address to a payee
// address; it moves like a withdrawal: CREATED, CONFIRMING, CONFIRMED.
type Transfer struct {
	ID                string
	ClientID          string
	Asset             market.Asset
	Amount            decimal.Decimal
	InternalAddressID string
	PayeeAddressID    string
	Description       string
	Status            MovementStatus
	RefID             string
	Debtor, Creditor  Account
	Time              time.Time

	confirmAt, settleAt time.Time
}

// TransferRequest creates a transfer.
type TransferRequest struct {
	Asset             market.Asset
	Amount            decimal.Decimal
	InternalAddressID string // a deposit address or deposit account id
	PayeeAddressID    string
	Description       string // at most 250 characters
	ClientID          string
}

// CreateTransfer sends Amount of Asset to a payee address. Errors:
// ErrMissing, ErrInvalid, ErrNotFound, ErrInsufficientFunds. With
// Options.Dedup, a repeat of an applied ClientID returns the first
// transfer as it was.
func (v *Venue) CreateTransfer(req TransferRequest) (Transfer, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if r, ok := v.replayLocked(opTransfer, req.ClientID); ok {
		return r.(Transfer), nil
	}
	switch {
	case req.Asset == "":
		return Transfer{}, missing("asset")
	case !req.Amount.IsPositive():
		return Transfer{}, invalid("amount", "amount must be positive")
	case req.InternalAddressID == "":
		return Transfer{}, missing("internalAddressId")
	case req.PayeeAddressID == "":
		return Transfer{}, missing("payeeAddressId")
	case req.Description == "":
		return Transfer{}, missing("description")
	case len([]rune(req.Description)) > 250:
		return Transfer{}, invalid("description", "description is longer than 250 characters")
	}
	var from *DepositAddress
	for _, d := range v.deposits {
		if d.ID == req.InternalAddressID {
			from = d
		}
	}
	if from == nil {
		return Transfer{}, notFound("internal address", req.InternalAddressID)
	}
	var to *PayeeAddress
	for _, a := range v.payeeAddresses {
		if a.ID == req.PayeeAddressID && !a.Deleted {
			to = a
		}
	}
	if to == nil {
		return Transfer{}, notFound("payee address", req.PayeeAddressID)
	}
	if err := v.checkAvailableLocked(req.Asset, req.Amount); err != nil {
		return Transfer{}, err
	}
	t := &Transfer{ID: v.newIDLocked(), ClientID: req.ClientID, Asset: req.Asset, Amount: req.Amount,
		InternalAddressID: req.InternalAddressID, PayeeAddressID: req.PayeeAddressID, Description: req.Description,
		Status: MovementCreated, Time: now, confirmAt: now.Add(v.opts.ConfirmAfter), settleAt: now.Add(v.opts.SettleAfter),
		Creditor: Account{AccountHolderName: to.Name, AccountNumber: to.Address, BIC: to.Params["bic"]}}
	if from.Bank != nil {
		t.Debtor = *from.Bank
	} else {
		t.Debtor = Account{Address: from.Address}
	}
	t.RefID = v.newIDLocked()
	v.moveLocked(req.Asset, req.Amount.Neg(), req.Amount)
	v.txLocked(now, TxWithdrawal, req.Asset, req.Amount.Neg(), t.ID)
	v.balancesChangedLocked(now)
	v.transfers = append(v.transfers, t)
	debtor, creditor := t.Debtor, t.Creditor
	v.ledger[t.ID] = &LedgerEntry{ID: t.ID, RefID: t.RefID, Type: "WITHDRAWAL", Status: MovementCreated,
		Description: t.Description, Asset: t.Asset, Amount: t.Amount, Debtor: &debtor, Creditor: &creditor, Time: now}
	tc := *t
	v.emitLocked(now, func(h EventHeader) Event { return TransferChanged{h, tc} })
	v.appliedLocked(now, opTransfer, req.ClientID, tc)
	return tc, nil
}

func (v *Venue) advanceTransfersLocked(now time.Time) {
	for _, t := range v.transfers {
		changed := false
		if t.Status == MovementCreated && !now.Before(t.confirmAt) {
			t.Status, changed = MovementConfirming, true
		}
		if t.Status == MovementConfirming && !now.Before(t.settleAt) {
			t.Status, changed = MovementConfirmed, true
			v.moveLocked(t.Asset, decimal.Zero, t.Amount.Neg())
			v.balancesChangedLocked(now)
		}
		if !changed {
			continue
		}
		v.ledger[t.ID].Status = t.Status
		tc := *t
		v.emitLocked(now, func(h EventHeader) Event { return TransferChanged{h, tc} })
	}
}

// TransferQuery selects transfers: StartDate..EndDate (required, at most
// 30 days) and optional filters.
type TransferQuery struct {
	CursorQuery
	ClientID string
	Asset    market.Asset
	Status   *MovementStatus
	RefID    string
}

// Transfers lists transfers.
func (v *Venue) Transfers(q TransferQuery) (CursorPage[Transfer], error) {
	v.begin()
	defer v.mu.Unlock()
	if q.From.IsZero() {
		return CursorPage[Transfer]{}, missing("startDate")
	}
	if q.To.IsZero() {
		return CursorPage[Transfer]{}, missing("endDate")
	}
	items := derefAll(v.transfers, func(t *Transfer) bool {
		return (q.ClientID == "" || t.ClientID == q.ClientID) &&
			(q.Asset == "" || strings.EqualFold(string(t.Asset), string(q.Asset))) &&
			(q.Status == nil || t.Status == *q.Status) && (q.RefID == "" || t.RefID == q.RefID)
	})
	return cursorPage(items, func(t Transfer) string { return t.ID }, func(t Transfer) time.Time { return t.Time },
		q.CursorQuery, Range30Days)
}

// LedgerEntry is a transaction's ledger view: a deposit, withdrawal or
// transfer with its counterparties.
type LedgerEntry struct {
	ID               string
	RefID            string
	Type             string // DEPOSIT, WITHDRAWAL, …
	Status           MovementStatus
	Description      string
	Asset            market.Asset
	Amount           decimal.Decimal
	Debtor, Creditor *Account
	Time             time.Time
}

// Ledger returns the ledger entry of a deposit transaction, withdrawal or
// transfer id.
func (v *Venue) Ledger(id string) (LedgerEntry, error) {
	v.begin()
	defer v.mu.Unlock()
	e, ok := v.ledger[id]
	if !ok {
		return LedgerEntry{}, notFound("transaction", id)
	}
	return *e, nil
}

// PayIn is a simulated incoming bank transfer.
type PayIn struct {
	Amount         decimal.Decimal
	DepositAddress string
	Transaction    Transaction
}

// PayInRequest simulates a bank transfer in.
type PayInRequest struct {
	Amount        decimal.Decimal
	ToAddress     string // fac_… or vac_… of a deposit account or address
	From          Account
	FromType      string // PERSON
	PaymentScheme string // SCT (EUR); FPS or CHAPS (GBP)
	Reference     string
}

// SimulatePayIn credits a deposit account as if a bank transfer arrived.
func (v *Venue) SimulatePayIn(req PayInRequest) (PayIn, error) {
	now := v.begin()
	defer v.mu.Unlock()
	switch {
	case !req.Amount.IsPositive():
		return PayIn{}, invalid("amount", "amount must be positive")
	case !strings.HasPrefix(req.ToAddress, "fac_") && !strings.HasPrefix(req.ToAddress, "vac_"):
		return PayIn{}, invalid("toAddress", "toAddress must be a fac_ or vac_ account")
	case req.FromType != "PERSON":
		return PayIn{}, invalid("fromType", "only PERSON is supported")
	case req.PaymentScheme != "SCT" && req.PaymentScheme != "FPS" && req.PaymentScheme != "CHAPS":
		return PayIn{}, invalid("paymentScheme", "paymentScheme must be SCT, FPS or CHAPS")
	case req.Reference == "":
		return PayIn{}, missing("reference")
	}
	var asset market.Asset
	for _, a := range v.depositAccounts {
		if a.RefAccountID == req.ToAddress || a.FiatAccountID == req.ToAddress {
			asset = a.Asset
		}
	}
	for _, d := range v.deposits {
		if d.RefAccountID == req.ToAddress {
			asset = d.Asset
		}
	}
	if asset == "" {
		return PayIn{}, notFound("deposit account", req.ToAddress)
	}
	from := req.From
	t := v.creditLocked(now, asset, req.Amount, req.Reference, &from)
	return PayIn{Amount: req.Amount, DepositAddress: req.ToAddress, Transaction: t}, nil
}
