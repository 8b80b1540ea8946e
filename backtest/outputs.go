package backtest

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/market"
)

// Report file names in the output directory.
const (
	FileSummary = "summary.json"
	FileTrades  = "trades.csv"
	FileEquity  = "equity.csv"
	FileChart   = "equity.png"
	FileChartSV = "equity.svg"
	FileReport  = "report.html"
)

// outputs streams trades.csv and equity.csv while the run goes, so neither
// is held in memory. A nil *outputs writes nothing: a sweep's runs keep
// only their summary.
type outputs struct {
	files  []*os.File
	bufs   []*bufio.Writer
	trades *csv.Writer
	eq     *csv.Writer
	row    []string
	err    error

	// The balances last written and their text: most samples follow no
	// fill, and a balance's text is then the one written before.
	balances []decimal.Decimal
	balText  []string
}

func createOutputs(dir string, assets []market.Asset) (*outputs, error) {
	o := &outputs{}
	open := func(name string) *csv.Writer {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			o.err = errors.Join(o.err, err)
			return nil
		}
		b := bufio.NewWriterSize(f, 64<<10)
		o.files, o.bufs = append(o.files, f), append(o.bufs, b)
		return csv.NewWriter(b)
	}
	o.trades, o.eq = open(FileTrades), open(FileEquity)
	if o.err != nil {
		o.close()
		return nil, fmt.Errorf("backtest: report: %w", o.err)
	}
	o.write(o.trades, []string{"time", "client_id", "trade_id", "strategy", "ref", "pair", "side", "path",
		"size", "price", "notional", "fee", "quote_amount", "quote", "notional_ref"})
	head := []string{"time", "equity", "benchmark", "drawdown", "exposure"}
	for _, a := range assets {
		head = append(head, "balance_"+string(a))
	}
	o.write(o.eq, head)
	return o, nil
}

func (o *outputs) write(w *csv.Writer, row []string) {
	if o.err == nil {
		o.err = w.Write(row)
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// trade writes one fill.
func (o *outputs) trade(r execution.Result, p market.Pair, f fill, notionalRef decimal.Decimal) {
	if o == nil {
		return
	}
	in := r.Intent
	o.write(o.trades, []string{stamp(f.at), in.ID, r.TradeID, in.Strategy, in.Ref, in.Pair, string(in.Side), string(in.Path),
		r.Size.String(), r.Price.String(), f.notional.String(), f.fee.String(), r.Amount.String(), string(p.Quote), amount(notionalRef)})
}

// equity writes one sample of the curve with the balances behind it.
func (o *outputs) equity(p point, assets []market.Asset, balances map[market.Asset]decimal.Decimal) {
	if o == nil {
		return
	}
	o.row = append(o.row[:0], stamp(p.at), amount(p.equity), amount(p.bench), p.drawdown.String(), p.exposure.String())
	if len(o.balances) != len(assets) {
		o.balances, o.balText = make([]decimal.Decimal, len(assets)), make([]string, len(assets))
	}
	for i, a := range assets {
		// The same value at the same exponent has the same text.
		if b := balances[a]; o.balText[i] == "" || b.Exponent() != o.balances[i].Exponent() || !b.Equal(o.balances[i]) {
			o.balances[i], o.balText[i] = b, b.String()
		}
		o.row = append(o.row, o.balText[i])
	}
	o.write(o.eq, o.row)
}

// flush writes everything buffered to the files and closes them.
func (o *outputs) flush() error {
	if o == nil {
		return nil
	}
	defer o.close()
	for _, w := range []*csv.Writer{o.trades, o.eq} {
		w.Flush()
		if o.err == nil {
			o.err = w.Error()
		}
	}
	for _, b := range o.bufs {
		if err := b.Flush(); o.err == nil {
			o.err = err
		}
	}
	for _, f := range o.files {
		if err := f.Close(); o.err == nil {
			o.err = err
		}
	}
	o.files = nil
	if o.err != nil {
		return fmt.Errorf("backtest: write the report: %w", o.err)
	}
	return nil
}

// close closes the files without flushing: the run failed.
func (o *outputs) close() {
	if o == nil {
		return
	}
	for _, f := range o.files {
		f.Close()
	}
	o.files = nil
}
