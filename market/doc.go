// Package market holds the engine's shared trading vocabulary: assets, pairs
// with their size limits, sides and price ticks.
//
// It imports nothing of the project and does no I/O. Every amount is a
// decimal.Decimal; nothing here ever passes money through float64.
package market
