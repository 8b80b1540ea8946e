package inbound

import "context"

// LoadRegistry fills the registry from the events already processed,
// without applying anything: for read-only tools (`engine treasury plan`)
// that need to know which payee addresses are approved. Run does the same
// at start-up.
func (p *Processor) LoadRegistry(ctx context.Context) error { return p.rebuild(ctx) }
