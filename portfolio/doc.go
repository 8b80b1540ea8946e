// Package portfolio owns the engine's view of what its books are worth:
// positions per asset and venue, money in transit, what left to outside
// destinations, valuation in a reference currency through any chain of
// pairs, cost basis (FIFO or average cost), realised and unrealised PnL,
// fees and external flows, in total, per attribution key (a strategy or a
// treasury policy) and per day. The daemon, the CLI (engine pnl), metrics
// and the backtest summary all read it through one type, Book: New, then
// Apply each journal entry in journal order, then Report at current
// prices.
//
// # What an entry means
//
// The book reads postings, not kinds: the holdings are the venue and
// transit accounts, and each entry's effect on them is split by the class
// of the account on the other side. Per asset:
//
//   - counterparty:<venue>: a trade leg. What was given and what was got
//     are worth the same value V at the entry's time, so the cost of what
//     was got is V and the disposal of what was given realises V minus its
//     basis. V is the amount of the reference when the reference is a leg;
//     else the value of the pair's quote (the entry's "pair" ref) at the
//     entry's time, which is the quote paid for a buy or received for a
//     sell; else the value of what was given, or failing a price for it,
//     of what was got. Treasury conversions are trades like any other.
//   - fees:<venue>: a fee. It is a cost, valued at the entry's time and
//     reported as Fees; paying it disposes of the asset it is paid in, so
//     the difference between that value and the basis of the units paid
//     is realised.
//   - external:*, equity:opening, equity:adjustment: an external flow.
//     What comes in (a deposit, an opening balance, a positive adjustment)
//     is an Inflow at its value at the entry's time, which becomes its cost
//     basis. What goes out (a withdrawal, bank transfer or Lightning payment
//     once settled at an external destination, a negative adjustment) is a
//     disposal at market value: an Outflow at its value at the entry's
//     time, realising that value minus the basis of the units sent. A
//     reconciliation adjustment is treated as a flow, not as PnL: it
//     corrects what the books hold, it earns nothing.
//   - venue and transit on both sides (an allocation, a withdrawal sent
//     into transit, a failed one coming back, a settlement between our own
//     venues): nothing is acquired or disposed of. Basis is per asset,
//     pooled across venues, so money moving between our own accounts keeps
//     its basis. Money in transit is still ours and part of equity until it
//     settles at an outside destination.
//
// Within one entry the book folds inflows first, then trade legs, then
// fees, then outflows, assets in code order within each. Disposing of more
// than is held opens a short position (negative lots whose cost is minus
// the proceeds), which later acquisitions close, realising the difference:
// a book never refuses an entry for lack of holdings.
//
// # Cost basis
//
// FIFO consumes the oldest lots first, each at its cost. Average costs
// every unit at the position's cost divided by its quantity. A lot records
// the attribution key of the entry that acquired it; under both methods
// lots leave oldest first, which says whose units remain for unrealised PnL
// by key (under Average the pooled cost is shared by quantity).
//
// # The identity
//
// Let Equity(t) be the value at time t's prices of everything held (venue
// and transit accounts), Realised, Fees, Inflows and Outflows the totals
// booked so far (each at its entry's prices), and Unrealised(t) Equity(t)
// minus the cost basis of what is held. Then, for any two reports r0 and
// r1 of one book, both Complete,
//
//	Equity(r1) - Equity(r0) = ΔRealised + ΔUnrealised - ΔFees + ΔInflows - ΔOutflows
//
// exactly, in decimals, with no rounding drift: flows are not PnL, and the
// change of equity that is not a flow is the PnL. It holds because the sum
// of the cost bases always equals Inflows - Outflows + Realised - Fees,
// whatever the prices, and every value is an amount times one rate per
// asset. The only rounding is in quotients (a path through an inverted
// pair, a part of a lot's cost, a share of a trade's value), each rounded
// once to 24 decimal places and booked on both sides. Between returns
// Residual, the identity's difference, which is zero.
//
// A window (engine pnl -since) is the difference of two reports: apply the
// entries before its start, Report at the prices of the start, apply the
// rest, Report now, and take Between; ByDay needs no second report.
//
// # Valuation
//
// Assets are valued at the mid price (the midpoint of bid and ask), not at
// what liquidation would fetch. Each asset takes the shortest path of
// pairs that have a price to the reference, a pair used either way round
// (USDT → BTC on BTCUSDT divides by its price); among paths of equal
// length, the one whose pair symbols sort first hop by hop. An asset with
// no path is unvalued: reported with a null value, left out of Equity and
// Unrealised, and the report is not Complete. Entries are valued at the
// prices History gives for their time; an entry that needs a price History
// cannot give is refused with ErrUnpriced and the book is unchanged.
//
// # Attribution and days
//
// Realised PnL, fees and flows belong to the attribution key of the entry
// that booked them, which the caller's Attribution function maps from the
// entry's Client-Id (execution's intents give a strategy, treasury's a
// policy, "treasury:<policy>"); unrealised PnL belongs to the key that
// acquired what is held. Days are the entry's time in Config.DayZone.
//
// # Reversals and odd entries
//
// A reversal (Kind reversal, key "reversal:<key>", postings negating the
// entry it names) undoes that entry as if it had never been applied: the
// book keeps every entry's valued events and refolds them without it, so
// its realised PnL, fees and flows leave the day and key they were booked
// in, and lots consumed after it are recomputed. The reversal books nothing
// of its own. A reversal of an entry the book never saw is refused
// (ErrUnknownReversal): feed the book the journal from its start. An entry
// of a kind this version does not know is ignored and counted, as is a
// reversal of one; an entry given twice is a no-op.
//
// # Concurrency
//
// A Book is not safe for concurrent use: like all portfolio state it
// belongs to the one goroutine that owns it. A Valuer is safe for
// concurrent use.
//
// # What it must never do
//
// It never reads or writes the ledger itself (the caller feeds it entries),
// never sends anything anywhere, never uses float64 for money, never values
// an asset it has no price path for at zero, and never imports more of the
// project than ledger and market: strategies and treasury policies reach it
// only through the attribution function the caller builds.
package portfolio
