package sim

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/shopspring/decimal"
)

// The hub's payload shapes, written from the command pages of the docs.
// Amounts travel as JSON numbers (json.Number holding the decimal's text,
// never a float64); times as RFC 3339 strings.

func num(d decimal.Decimal) json.Number { return json.Number(d.String()) }

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func wirePriceUpdate(q Quote) map[string]any {
	return map[string]any{
		"id": q.ID, "pair": q.Pair, "size": num(q.Size),
		"buyPrice": num(q.BuyPrice), "sellPrice": num(q.SellPrice), "markPrice": num(q.MarkPrice),
		"timestamp": ts(q.Time),
	}
}

func wireExecution(x Execution) map[string]any {
	return map[string]any{
		"tradeId": x.TradeID, "side": string(x.Side), "pair": x.Pair,
		"price": num(x.Price), "size": num(x.Size), "notional": num(x.Notional),
		"status": int(x.Status), "baseCurrency": string(x.Base), "quoteCurrency": string(x.Quote),
		"timestamp": ts(x.Time), "statusError": x.StatusError,
	}
}

// wireOrderExecution is execution.order.executed for an order's change.
func wireOrderExecution(o Order) map[string]any {
	price := o.ExecutedPrice
	if price.IsZero() {
		price = o.Price
	}
	t := o.ExecutedTime
	if t.IsZero() {
		t = o.Time
	}
	return wireExecution(Execution{
		TradeID: o.ID, Side: o.Side, Pair: o.Pair, Price: price, Size: o.Quantity,
		Notional: price.Mul(o.Quantity), Status: o.Status, Base: o.Base, Quote: o.Quote,
		Time: t, StatusError: o.CancellationReason,
	})
}

func wirePairs(v *Venue) []map[string]any {
	var out []map[string]any
	for _, p := range v.Pairs() {
		out = append(out, map[string]any{
			"name": p.Symbol, "asset": string(p.Base), "currency": string(p.Quote),
			"minSize": num(p.MinSize), "maxSize": num(p.MaxSize),
			"minQuoteSize": num(p.MinQuoteSize), "maxQuoteSize": num(p.MaxQuoteSize),
		})
	}
	return out
}

func wireBalances(b Balances) map[string]any {
	assets := make([]map[string]any, 0, len(b.Assets))
	for _, a := range b.Assets {
		assets = append(assets, map[string]any{
			"name": string(a.Name), "available": num(a.Available), "allocated": num(a.Allocated),
			"currentExposure": 0, "maxExposure": 0,
		})
	}
	return map[string]any{
		"userId": b.UserID, "sequence": b.Sequence, "assets": assets,
		"baseCurrency": "EUR", "totalCurrentExposure": 0, "totalMaxExposure": 0, "deleted": false,
	}
}

func wireRFQ(r RFQ, userID string) map[string]any {
	return map[string]any{
		"requestForQuoteId": r.ID, "userId": userID, "instrument": r.Pair,
		"baseCurrency": string(r.Base), "quoteCurrency": string(r.Quote), "side": string(r.Side),
		"size": num(r.Size), "price": num(r.Price), "amount": num(r.Amount), "status": int(r.Status),
		"requestDateTime": ts(r.Requested), "expireDateTime": ts(r.Expires),
	}
}

func wireOrders(os []Order, userID string) []map[string]any {
	out := make([]map[string]any, 0, len(os))
	for _, o := range os {
		out = append(out, map[string]any{
			"orderId": o.ID, "clientId": o.ClientID, "userId": userID, "instrument": o.Pair,
			"base": string(o.Base), "quote": string(o.Quote), "side": string(o.Side),
			"orderType": int(o.Type), "price": num(o.Price), "executedPrice": num(o.ExecutedPrice),
			"executedTimestamp": ts(o.ExecutedTime), "quantity": num(o.Quantity),
			"quantityFilled": num(o.QuantityFilled), "orderStatus": int(o.Status),
			"cancellationReason": o.CancellationReason, "slippage": num(o.Slippage), "timestamp": ts(o.Time),
		})
	}
	return out
}

func wireTrades(ts_ []Trade, userID string) []map[string]any {
	out := make([]map[string]any, 0, len(ts_))
	for _, t := range ts_ {
		out = append(out, map[string]any{
			"id": t.ID, "userId": userID, "clientId": t.ClientID, "instrument": t.Pair,
			"side": string(t.Side), "price": num(t.Price), "quantityFilled": num(t.Quantity),
			"timestamp": ts(t.Time), "email": UserEmail,
		})
	}
	return out
}

func wireTransactions(txs []Transaction, userID string) []map[string]any {
	out := make([]map[string]any, 0, len(txs))
	for _, t := range txs {
		out = append(out, map[string]any{
			"id": t.ID, "userId": userID, "sequence": t.Sequence, "type": int(t.Type),
			"asset": string(t.Asset), "amount": num(t.Amount), "timestamp": ts(t.Time),
		})
	}
	return out
}

func wireWithdrawal(w Withdrawal, userID string) map[string]any {
	params := w.Params
	if params == nil {
		params = map[string]string{}
	}
	return map[string]any{
		"id": w.ID, "clientId": w.ClientID, "userId": userID, "name": "Paper", "surname": "Trader",
		"company": "", "description": w.Description, "destination": w.Destination,
		"destinationParams": params, "network": w.Network, "amount": num(w.Amount),
		"asset": string(w.Asset), "fee": num(w.Fee), "status": string(w.Status), "refId": w.RefID,
		"isInstant": w.Instant, "timestamp": ts(w.Time),
	}
}

// wireGeneric renders a venue value for the less-travelled replies: exported
// fields in lower camel case, decimals as numbers, times as RFC 3339, with
// renames for the documented key names that differ from the Go names.
func wireGeneric(v any, renames map[string]string) any {
	return walk(reflect.ValueOf(v), renames)
}

var (
	decimalType = reflect.TypeOf(decimal.Decimal{})
	timeType    = reflect.TypeOf(time.Time{})
)

func walk(v reflect.Value, renames map[string]string) any {
	if !v.IsValid() {
		return nil
	}
	switch v.Type() {
	case decimalType:
		return num(v.Interface().(decimal.Decimal))
	case timeType:
		return ts(v.Interface().(time.Time))
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walk(v.Elem(), renames)
	case reflect.Struct:
		out := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				if m, ok := walk(v.Field(i), renames).(map[string]any); ok {
					for k, x := range m {
						out[k] = x
					}
				}
				continue
			}
			name := lowerCamel(f.Name)
			if r, ok := renames[f.Name]; ok {
				name = r
			}
			out[name] = walk(v.Field(i), renames)
		}
		return out
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return string(v.Bytes())
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = walk(v.Index(i), renames)
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[k.String()] = walk(v.MapIndex(k), renames)
		}
		return out
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	}
	return nil
}

// lowerCamel turns "ID" into "id", "RefID" into "refId", "PayeeID" into
// "payeeId" and "Name" into "name".
func lowerCamel(s string) string {
	s = strings.ReplaceAll(s, "ID", "Id")
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}
