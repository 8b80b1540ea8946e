// Package layers holds no code: its test checks the repository's import
// graph against the layout in DESIGN.md (docs/architecture.md), so a new
// arrow the design does not allow fails `go test ./...`.
package layers
