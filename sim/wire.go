package sim

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The REST wire shapes, written from the documentation site's pages (see
// shared/reference/hercle-docs/rest.md), independently of the hercle
// client's models.

// num is a decimal that travels as a JSON number, read from its text and
// written as its text: never through float64, never quoted.
type num struct{ decimal.Decimal }

func n(d decimal.Decimal) num { return num{d} }

func (x num) MarshalJSON() ([]byte, error) { return []byte(x.Decimal.String()), nil }

var errNotNumber = errors.New("not a JSON number")

func (x *num) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] == '"' || b[0] == '{' || b[0] == '[' || b[0] == 't' || b[0] == 'f' || b[0] == 'n' {
		return errNotNumber
	}
	d, err := decimal.NewFromString(string(b))
	if err != nil {
		return errNotNumber
	}
	x.Decimal = d
	return nil
}

// wtime is an ISO 8601 UTC time; the zero time travels as null.
type wtime time.Time

func (t wtime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(time.Time(t).UTC().Format(time.RFC3339Nano))
}

type wirePair struct {
	Name         string `json:"name"`
	Asset        string `json:"asset"`
	Currency     string `json:"currency"`
	MinSize      num    `json:"minSize"`
	MaxSize      num    `json:"maxSize"`
	MinQuoteSize num    `json:"minQuoteSize"`
	MaxQuoteSize num    `json:"maxQuoteSize"`
}

type wireSizeQuote struct {
	ID        string `json:"id"`
	Pair      string `json:"pair"`
	Price     num    `json:"price"`
	Size      num    `json:"size"`
	TimeStamp wtime  `json:"timeStamp"`
}

type wirePriceQuote struct {
	ID        string `json:"id"`
	Size      num    `json:"size"`
	Pair      string `json:"pair"`
	BuyPrice  num    `json:"buyPrice"`
	SellPrice num    `json:"sellPrice"`
	MarkPrice num    `json:"markPrice"`
	TimeStamp wtime  `json:"timeStamp"`
}

type wireAsset struct {
	Name      string `json:"name"`
	Available num    `json:"available"`
	Allocated num    `json:"allocated"`
}

type wireBalances struct {
	UserID   string      `json:"userId"`
	Sequence uint64      `json:"sequence"`
	Assets   []wireAsset `json:"assets"`
	Deleted  bool        `json:"deleted"`
}

func toWireBalances(b Balances) []wireBalances {
	w := wireBalances{UserID: b.UserID, Sequence: b.Sequence, Assets: make([]wireAsset, len(b.Assets))}
	for i, a := range b.Assets {
		w.Assets[i] = wireAsset{Name: string(a.Name), Available: n(a.Available), Allocated: n(a.Allocated)}
	}
	return []wireBalances{w} // the docs' example is an array of one
}

type wireTrade struct {
	ID             string `json:"id"`
	ClientID       string `json:"clientId"`
	UserID         string `json:"userId"`
	Instrument     string `json:"instrument"`
	Side           string `json:"side"`
	Price          num    `json:"price"`
	QuantityFilled num    `json:"quantityFilled"`
	Timestamp      wtime  `json:"timestamp"`
	Email          string `json:"email"`
}

func (v *Venue) wireTrades(ts []Trade) []wireTrade {
	out := make([]wireTrade, len(ts))
	for i, t := range ts {
		out[i] = wireTrade{ID: t.ID, ClientID: t.ClientID, UserID: v.userID, Instrument: string(t.Base) + "/" + string(t.Quote),
			Side: string(t.Side), Price: n(t.Price), QuantityFilled: n(t.Quantity), Timestamp: wtime(t.Time), Email: UserEmail}
	}
	return out
}

type wireTransaction struct {
	ID        string `json:"id"`
	UserID    string `json:"userId"`
	Sequence  uint64 `json:"sequence"`
	Type      int    `json:"type"`
	Asset     string `json:"asset"`
	Amount    num    `json:"amount"`
	Timestamp wtime  `json:"timestamp"`
}

func (v *Venue) wireTransactions(ts []Transaction) []wireTransaction {
	out := make([]wireTransaction, len(ts))
	for i, t := range ts {
		out[i] = wireTransaction{ID: t.ID, UserID: v.userID, Sequence: t.Sequence, Type: int(t.Type),
			Asset: string(t.Asset), Amount: n(t.Amount), Timestamp: wtime(t.Time)}
	}
	return out
}

type wireExecution struct {
	TradeID       string `json:"tradeId"`
	Side          string `json:"side"`
	Pair          string `json:"pair"`
	Price         num    `json:"price"`
	Size          num    `json:"size"`
	Notional      num    `json:"notional"`
	Status        int    `json:"status"`
	BaseCurrency  string `json:"baseCurrency"`
	QuoteCurrency string `json:"quoteCurrency"`
	Timestamp     wtime  `json:"timestamp"`
	StatusError   string `json:"statusError"`
}

func toWireExecution(e Execution) wireExecution {
	return wireExecution{TradeID: e.TradeID, Side: string(e.Side), Pair: e.Pair, Price: n(e.Price), Size: n(e.Size),
		Notional: n(e.Notional), Status: int(e.Status), BaseCurrency: string(e.Base), QuoteCurrency: string(e.Quote),
		Timestamp: wtime(e.Time), StatusError: e.StatusError}
}

type wireOrder struct {
	OrderID            string `json:"orderId"`
	ClientID           string `json:"clientId"`
	UserID             string `json:"userId"`
	Instrument         string `json:"instrument"`
	Side               string `json:"side"`
	OrderType          int    `json:"orderType"`
	Price              num    `json:"price"`
	ExecutedPrice      num    `json:"executedPrice"`
	ExecutedTimestamp  wtime  `json:"executedTimestamp"`
	Quantity           num    `json:"quantity"`
	QuantityFilled     num    `json:"quantityFilled"`
	OrderStatus        int    `json:"orderStatus"`
	CancellationReason string `json:"cancellationReason"`
	Slippage           num    `json:"slippage"`
	Timestamp          wtime  `json:"timestamp"`
}

func (v *Venue) wireOrders(os []Order) []wireOrder {
	out := make([]wireOrder, len(os))
	for i, o := range os {
		out[i] = wireOrder{OrderID: o.ID, ClientID: o.ClientID, UserID: v.userID, Instrument: o.Pair, Side: string(o.Side),
			OrderType: int(o.Type), Price: n(o.Price), ExecutedPrice: n(o.ExecutedPrice), ExecutedTimestamp: wtime(o.ExecutedTime),
			Quantity: n(o.Quantity), QuantityFilled: n(o.QuantityFilled), OrderStatus: int(o.Status),
			CancellationReason: o.CancellationReason, Slippage: n(o.Slippage), Timestamp: wtime(o.Time)}
	}
	return out
}

type wireRFQ struct {
	RequestForQuoteID string `json:"requestForQuoteId"`
	UserID            string `json:"userId"`
	Instrument        string `json:"instrument"`
	BaseCurrency      string `json:"baseCurrency"`
	QuoteCurrency     string `json:"quoteCurrency"`
	Price             num    `json:"price"`
	Size              num    `json:"size"`
	Side              string `json:"side"`
	Amount            num    `json:"amount"`
	Status            int    `json:"status"`
	ExpireDateTime    wtime  `json:"expireDateTime"`
	RequestDateTime   wtime  `json:"requestDateTime"`
}

func (v *Venue) wireRFQ(r RFQ) wireRFQ {
	return wireRFQ{RequestForQuoteID: r.ID, UserID: v.userID, Instrument: r.Pair, BaseCurrency: string(r.Base),
		QuoteCurrency: string(r.Quote), Price: n(r.Price), Size: n(r.Size), Side: string(r.Side), Amount: n(r.Amount),
		Status: int(r.Status), ExpireDateTime: wtime(r.Expires), RequestDateTime: wtime(r.Requested)}
}

type wireAddressResult struct {
	HTTPStatusCode int    `json:"httpStatusCode"`
	AddressID      string `json:"addressId"`
	EndUserID      string `json:"endUserId"`
	Message        string `json:"message"`
}

type wireWhitelisted struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	UserID        string            `json:"userId"`
	Asset         string            `json:"asset"`
	Address       string            `json:"address"`
	AddressParams map[string]string `json:"addressParams"`
	Network       string            `json:"network"`
	Status        int               `json:"status"`
	Comment       string            `json:"comment"`
	EndUserID     string            `json:"endUserId"`
	AuditBy       string            `json:"auditBy"`
	AuditDate     wtime             `json:"auditDate"`
	Enabled       bool              `json:"enabled"`
	Deleted       bool              `json:"deleted"`
	CreationDate  wtime             `json:"creationDate"`
}

func (v *Venue) wireWhitelisted(ws []WhitelistedAddress) []wireWhitelisted {
	out := make([]wireWhitelisted, len(ws))
	for i, w := range ws {
		out[i] = wireWhitelisted{ID: w.ID, Name: w.Name, UserID: v.userID, Asset: string(w.Asset), Address: w.Address,
			AddressParams: w.Params, Network: w.Network, Status: int(w.Status), Comment: w.Comment, EndUserID: w.EndUserID,
			AuditBy: w.AuditBy, AuditDate: wtime(w.AuditDate), Enabled: w.Enabled(), Deleted: w.Status == AddressDeleted,
			CreationDate: wtime(w.Created)}
	}
	return out
}

type wireRoutingCode struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type wireBank struct {
	BankName          string            `json:"bankName"`
	AccountHolderName string            `json:"accountHolderName"`
	Country           string            `json:"country"`
	AccountNumber     string            `json:"accountNumber"`
	RoutingCodes      []wireRoutingCode `json:"routingCodes"`
	IBAN              string            `json:"iban"`
	BIC               string            `json:"bic"`
}

type wireCryptoDetails struct {
	ID      string `json:"id"`
	Address string `json:"address"`
}

type wireDepositAddress struct {
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	UserID            string            `json:"userId"`
	EndUserID         *string           `json:"endUserId"`
	Asset             string            `json:"asset"`
	Address           string            `json:"address"`
	AddressParams     map[string]string `json:"addressParams"`
	Network           string            `json:"network"`
	Deleted           bool              `json:"deleted"`
	CreationDate      wtime             `json:"creationDate"`
	RefAccountID      *string           `json:"refAccountId"`
	RefAccountType    *string           `json:"refAccountType"`
	RefAccountDetails any               `json:"refAccountDetails"`
}

func refDetails(bank *Account, id, address string) any {
	if bank == nil {
		return wireCryptoDetails{ID: id, Address: address}
	}
	w := wireBank{BankName: bank.BankName, AccountHolderName: bank.AccountHolderName, Country: bank.Country,
		AccountNumber: bank.AccountNumber, RoutingCodes: []wireRoutingCode{}, IBAN: bank.IBAN, BIC: bank.BIC}
	for _, k := range sortedKeys(bank.RoutingCodes) {
		w.RoutingCodes = append(w.RoutingCodes, wireRoutingCode{Type: k, Value: bank.RoutingCodes[k]})
	}
	return w
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (v *Venue) wireDepositAddress(d DepositAddress) wireDepositAddress {
	return wireDepositAddress{ID: d.ID, Name: d.Name, UserID: v.userID, EndUserID: nullable(d.EndUserID), Asset: string(d.Asset),
		Address: d.Address, AddressParams: d.Params, Network: d.Network, CreationDate: wtime(d.Created),
		RefAccountID: nullable(d.RefAccountID), RefAccountType: nullable(d.RefAccountType),
		RefAccountDetails: refDetails(d.Bank, d.RefAccountID, d.Address)}
}

type wireWithdrawal struct {
	ID                string            `json:"id"`
	UserID            string            `json:"userId"`
	ClientID          string            `json:"clientId"`
	Name              string            `json:"name"`
	Surname           string            `json:"surname"`
	Company           string            `json:"company"`
	Description       string            `json:"description"`
	Destination       string            `json:"destination"`
	DestinationParams map[string]string `json:"destinationParams"`
	Network           string            `json:"network"`
	Amount            num               `json:"amount"`
	Fee               num               `json:"fee"`
	Asset             string            `json:"asset"`
	Status            string            `json:"status"`
	RefID             string            `json:"refId"`
	IsInstant         bool              `json:"isInstant"`
	Timestamp         wtime             `json:"timestamp"`
}

func (v *Venue) wireWithdrawal(w Withdrawal) wireWithdrawal {
	return wireWithdrawal{ID: w.ID, UserID: v.userID, ClientID: w.ClientID, Name: "Paper", Surname: "Trader",
		Company: "Paper Trading Ltd", Description: w.Description, Destination: w.Destination, DestinationParams: w.Params,
		Network: w.Network, Amount: n(w.Amount), Fee: n(w.Fee), Asset: string(w.Asset), Status: string(w.Status),
		RefID: w.RefID, IsInstant: w.Instant, Timestamp: wtime(w.Time)}
}

func (v *Venue) wireWithdrawals(ws []Withdrawal) []wireWithdrawal {
	out := make([]wireWithdrawal, len(ws))
	for i, w := range ws {
		out[i] = v.wireWithdrawal(w)
	}
	return out
}

type wireInvoice struct {
	ID                                  string `json:"id"`
	UserID                              string `json:"userId"`
	Email                               string `json:"email"`
	EncodedPaymentRequest               string `json:"encodedPaymentRequest"`
	ExpiresAt                           wtime  `json:"expiresAt"`
	Status                              string `json:"status"`
	CreatedAt                           wtime  `json:"createdAt"`
	UpdatedAt                           wtime  `json:"updatedAt"`
	Memo                                string `json:"memo"`
	PaymentHash                         string `json:"paymentHash"`
	PaymentPreimage                     string `json:"paymentPreimage"`
	NodeID                              string `json:"nodeId"`
	InvoiceType                         string `json:"invoiceType"`
	ExpirySecs                          int64  `json:"expirySecs"`
	Metadata                            string `json:"metadata"`
	UmaPostTransactionData              string `json:"umaPostTransactionData"`
	BitcoinNetwork                      string `json:"bitcoinNetwork"`
	AmountOriginalValue                 num    `json:"amountOriginalValue"`
	AmountOriginalUnit                  string `json:"amountOriginalUnit"`
	AmountPreferredCurrencyUnit         string `json:"amountPreferredCurrencyUnit"`
	AmountPreferredCurrencyValueRounded *num   `json:"amountPreferredCurrencyValueRounded"`
	AmountPreferredCurrencyValueApprox  *num   `json:"amountPreferredCurrencyValueApprox"`
	DomainEvents                        []any  `json:"domainEvents"`
}

func (v *Venue) wireInvoice(in Invoice) wireInvoice {
	return wireInvoice{ID: in.ID, UserID: v.userID, Email: UserEmail, EncodedPaymentRequest: in.PaymentRequest,
		ExpiresAt: wtime(in.Expires), Status: in.Status, CreatedAt: wtime(in.Created), UpdatedAt: wtime(in.Updated),
		Memo: in.Memo, PaymentHash: in.PaymentHash, NodeID: "02" + strings.Repeat("51", 32), InvoiceType: "STANDARD",
		ExpirySecs: int64(in.Expires.Sub(in.Created) / time.Second), BitcoinNetwork: "testnet",
		AmountOriginalValue: n(in.AmountBTC), AmountOriginalUnit: "BTC", DomainEvents: []any{}}
}

type wireEndUser struct {
	ID                 string          `json:"id"`
	Business           json.RawMessage `json:"business,omitempty"`
	BusinessPersons    json.RawMessage `json:"businessPersons,omitempty"`
	Person             json.RawMessage `json:"person,omitempty"`
	IPAddress          string          `json:"ipAddress"`
	RegistrationStatus string          `json:"registrationStatus"`
	Sector             string          `json:"sector,omitempty"`
	CreatedAt          int64           `json:"createdAt"`
	UpdatedAt          int64           `json:"updatedAt"`
}

func toWireEndUser(u EndUser) wireEndUser {
	return wireEndUser{ID: u.ID, Business: u.Profile["business"], BusinessPersons: u.Profile["businessPersons"],
		Person: u.Profile["person"], IPAddress: u.IPAddress, RegistrationStatus: u.RegistrationStatus, Sector: u.Sector,
		CreatedAt: u.Created.UnixMilli(), UpdatedAt: u.Updated.UnixMilli()}
}

type wireDepositAccount struct {
	ID                string `json:"id"`
	UserID            string `json:"userId"`
	EndUserID         string `json:"endUserId"`
	Name              string `json:"name"`
	Asset             string `json:"asset"`
	Network           string `json:"network"`
	RefAccountID      string `json:"refAccountId"`
	RefAccountType    string `json:"refAccountType"`
	RefAccountDetails any    `json:"refAccountDetails"`
}

func (v *Venue) wireDepositAccount(a DepositAccount) wireDepositAccount {
	return wireDepositAccount{ID: a.ID, UserID: v.userID, EndUserID: a.EndUserID, Name: a.Name, Asset: string(a.Asset),
		Network: a.Network, RefAccountID: a.RefAccountID, RefAccountType: a.RefAccountType,
		RefAccountDetails: refDetails(a.Bank, a.RefAccountID, a.RefAccountID)}
}

type wirePayee struct {
	ID         string `json:"id"`
	UserID     string `json:"userId"`
	EndUserID  string `json:"endUserId"`
	Type       int    `json:"type"`
	Name       string `json:"name"`
	Surname    string `json:"surname"`
	Company    string `json:"company"`
	Country    string `json:"country"`
	State      string `json:"state"`
	City       string `json:"city"`
	Address    string `json:"address"`
	PostalCode string `json:"postalCode"`
	Disabled   bool   `json:"disabled"`
	Deleted    bool   `json:"deleted"`
	CreatedAt  wtime  `json:"createdAt"`
}

func (v *Venue) wirePayee(p Payee) wirePayee {
	return wirePayee{ID: p.ID, UserID: v.userID, EndUserID: p.EndUserID, Type: int(p.Type), Name: p.Name, Surname: p.Surname,
		Company: p.Company, Country: p.Country, State: p.State, City: p.City, Address: p.Address, PostalCode: p.PostalCode,
		Disabled: p.Disabled, Deleted: p.Deleted, CreatedAt: wtime(p.Created)}
}

type wirePayeeAddress struct {
	ID            string            `json:"id"`
	PayeeID       string            `json:"payeeId"`
	Name          string            `json:"name"`
	Asset         string            `json:"asset"`
	Address       string            `json:"address"`
	AddressParams map[string]string `json:"addressParams"`
	Network       string            `json:"network"`
	Status        int               `json:"status"`
	Comment       *string           `json:"comment"`
	AuditBy       *string           `json:"auditBy"`
	AuditDate     wtime             `json:"auditDate"`
	Deleted       bool              `json:"deleted"`
	CreatedAt     wtime             `json:"createdAt"`
}

func toWirePayeeAddress(a PayeeAddress) wirePayeeAddress {
	return wirePayeeAddress{ID: a.ID, PayeeID: a.PayeeID, Name: a.Name, Asset: string(a.Asset), Address: a.Address,
		AddressParams: a.Params, Network: a.Network, Status: a.Status, Comment: nullable(a.Comment),
		AuditBy: nullable(a.AuditBy), AuditDate: wtime(a.AuditDate), Deleted: a.Deleted, CreatedAt: wtime(a.Created)}
}

type wireTransferReceipt struct {
	ID                string  `json:"id"`
	Asset             string  `json:"asset"`
	Amount            num     `json:"amount"`
	InternalAddressID string  `json:"internalAddressId"`
	PayeeAddressID    string  `json:"payeeAddressId"`
	Description       *string `json:"description"`
}

type wireAccount struct {
	BankName           string            `json:"bankName,omitempty"`
	BankAddressCountry string            `json:"bankAddressCountry,omitempty"`
	AccountHolderName  string            `json:"accountHolderName,omitempty"`
	Country            string            `json:"country,omitempty"`
	AccountNumber      string            `json:"accountNumber,omitempty"`
	RoutingCodes       map[string]string `json:"routingCodes,omitempty"`
	IBAN               string            `json:"iban,omitempty"`
	BIC                string            `json:"bic,omitempty"`
	Address            string            `json:"address,omitempty"`
}

func toWireAccount(a *Account) *wireAccount {
	if a == nil {
		return nil
	}
	return &wireAccount{BankName: a.BankName, BankAddressCountry: a.BankAddressCountry, AccountHolderName: a.AccountHolderName,
		Country: a.Country, AccountNumber: a.AccountNumber, RoutingCodes: a.RoutingCodes, IBAN: a.IBAN, BIC: a.BIC, Address: a.Address}
}

type wireTransfer struct {
	ID                string       `json:"id"`
	UserID            string       `json:"userId"`
	ClientID          string       `json:"clientId"`
	Description       string       `json:"description"`
	Asset             string       `json:"asset"`
	Amount            num          `json:"amount"`
	InternalAddressID string       `json:"internalAddressId"`
	PayeeAddressID    string       `json:"payeeAddressId"`
	Debtor            *wireAccount `json:"debtor"`
	Creditor          *wireAccount `json:"creditor"`
	Status            string       `json:"status"`
	RefID             string       `json:"refId"`
	IsInstant         bool         `json:"isInstant"`
	Timestamp         wtime        `json:"timestamp"`
}

func (v *Venue) wireTransfer(t Transfer) wireTransfer {
	return wireTransfer{ID: t.ID, UserID: v.userID, ClientID: t.ClientID, Description: t.Description, Asset: string(t.Asset),
		Amount: n(t.Amount), InternalAddressID: t.InternalAddressID, PayeeAddressID: t.PayeeAddressID,
		Debtor: toWireAccount(&t.Debtor), Creditor: toWireAccount(&t.Creditor), Status: string(t.Status), RefID: t.RefID,
		Timestamp: wtime(t.Time)}
}

type wireLedger struct {
	ID          string       `json:"id"`
	RefID       string       `json:"refId"`
	UserID      string       `json:"userId"`
	Type        string       `json:"type"`
	Status      string       `json:"status"`
	Description string       `json:"description"`
	Asset       string       `json:"asset"`
	Amount      num          `json:"amount"`
	Debtor      *wireAccount `json:"debtor"`
	Creditor    *wireAccount `json:"creditor"`
	Timestamp   wtime        `json:"timestamp"`
}

type wireCursorPage[T any] struct {
	Payload         []T     `json:"payload"`
	PaginationToken *string `json:"paginationToken,omitempty"`
}

func toCursorPage[S, T any](p CursorPage[S], conv func(S) T) wireCursorPage[T] {
	out := wireCursorPage[T]{Payload: make([]T, len(p.Items))}
	for i, it := range p.Items {
		out.Payload[i] = conv(it)
	}
	if p.Next != "" {
		out.PaginationToken = &p.Next
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
