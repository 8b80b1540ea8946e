package hub

import (
	"context"

	"github.com/otcdesk/engine/hercle"
)

// The hub methods the client sends: the price subscriptions. The hub
// serves every command of the reference, but nothing in the engine sends
// another over the hub (orders, RFQs and money movements go through the
// REST client and the send protocol), so the client has no other.
const (
	MethodSubscribePairPriceChannel   = "SubscribePairPriceChannel"
	MethodUnsubscribePairPriceChannel = "UnsubscribePairPriceChannel"
)

// SubscribePairPriceChannel subscribes to price updates for pair at size and
// remembers the subscription, which is re-sent after every reconnect until
// UnsubscribePairPriceChannel. While disconnected it only remembers it (and
// returns ErrNotConnected); the next connection sends it. The hub
// documents no reply; a refusal arrives as preChecksError to OnEvent.
func (c *Client) SubscribePairPriceChannel(ctx context.Context, clientID, pair string, size hercle.Number) error {
	c.mu.Lock()
	c.subs[subKey{pair, size.String()}] = clientID
	c.mu.Unlock()
	return c.invoke(ctx, MethodSubscribePairPriceChannel, clientID, pair, size)
}

// UnsubscribePairPriceChannel ends a subscription made with
// SubscribePairPriceChannel. It is forgotten even if sending fails: a new
// connection starts without it.
func (c *Client) UnsubscribePairPriceChannel(ctx context.Context, clientID, pair string, size hercle.Number) error {
	c.mu.Lock()
	delete(c.subs, subKey{pair, size.String()})
	c.mu.Unlock()
	return c.invoke(ctx, MethodUnsubscribePairPriceChannel, clientID, pair, size)
}

// Subscriptions returns the active price subscriptions as pair and size text.
func (c *Client) Subscriptions() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]string{}
	for k := range c.subs {
		out[k.pair] = append(out[k.pair], k.size)
	}
	return out
}
