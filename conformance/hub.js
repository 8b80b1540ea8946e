// Conformance check of the simulator's hub against the official client.
//
//   node conformance/hub.js <base-url> <api-key>
//
// Connects as the Hercle documentation's JavaScript does (accessTokenFactory,
// withAutomaticReconnect, re-subscription in onreconnected), subscribes in
// both argument forms, waits for price updates, places an OTC order with
// PlaceOtcOrder on a received price id and waits for
// execution.order.executed; then waits for the hub to drop the connection
// and checks that prices resume after the automatic reconnect. Prints one
// JSON summary line; exits 0 on success, 1 on failure.
'use strict';

const signalR = require('@microsoft/signalr');

const [baseUrl, apiKey] = process.argv.slice(2);
if (!baseUrl || !apiKey) {
  console.error('usage: node conformance/hub.js <base-url> <api-key>');
  process.exit(2);
}

const summary = { prices: {}, executed: null, reconnected: false, pricesAfterReconnect: {}, errors: [] };
const waiters = [];
function check() {
  for (let i = waiters.length - 1; i >= 0; i--) {
    if (waiters[i].cond()) {
      waiters[i].resolve();
      waiters.splice(i, 1);
    }
  }
}
function waitFor(what, cond, ms) {
  return new Promise((resolve, reject) => {
    if (cond()) return resolve();
    const w = { cond, resolve };
    waiters.push(w);
    setTimeout(() => {
      const i = waiters.indexOf(w);
      if (i >= 0) {
        waiters.splice(i, 1);
        reject(new Error('timed out waiting for ' + what));
      }
    }, ms);
  });
}

// The guide: message may be a JSON string, and data a JSON string inside it.
function decode(message) {
  const env = typeof message === 'string' ? JSON.parse(message) : message;
  const data = typeof env.data === 'string' ? JSON.parse(env.data) : env.data;
  return { env, data };
}

const connection = new signalR.HubConnectionBuilder()
  .withUrl(`${baseUrl}/ExecutionLiveServer/v1`, { accessTokenFactory: () => apiKey })
  .withAutomaticReconnect()
  .configureLogging(signalR.LogLevel.Warning)
  .build();

let reconnected = false;
const lastPrice = {};
connection.on('subscriptions', (message) => {
  const { env, data } = decode(message);
  if (env.subject !== 'execution.feeds.priceUpdate') return;
  lastPrice[data.pair] = data;
  const bucket = reconnected ? summary.pricesAfterReconnect : summary.prices;
  bucket[data.pair] = (bucket[data.pair] || 0) + 1;
  check();
});
connection.on('executionEvents', (message) => {
  const { env, data } = decode(message);
  switch (env.subject) {
    case 'execution.order.executed':
      if (env.clientId === 'order-js-1') summary.executed = data;
      break;
    case 'preChecksError':
      summary.errors.push(data);
      break;
  }
  check();
});

// The guide's re-subscription pattern, in its one-array form.
const activeSubscriptions = new Map();
connection.onreconnected(async () => {
  reconnected = true;
  summary.reconnected = true;
  for (const [, sub] of activeSubscriptions) {
    await connection.invoke('SubscribePairPriceChannel', [sub.clientId, sub.pair, sub.size]);
  }
});

async function main() {
  await connection.start();
  // Separate arguments, as /ws/pair-price-stream shows.
  await connection.invoke('SubscribePairPriceChannel', 'sub-js-1', 'BTCUSDT', 0.01);
  activeSubscriptions.set('BTCUSDT', { clientId: 'sub-js-1', pair: 'BTCUSDT', size: 0.01 });
  // One array, as the help-center guide shows.
  await connection.invoke('SubscribePairPriceChannel', ['sub-js-2', 'ETHEUR', 1]);
  activeSubscriptions.set('ETHEUR', { clientId: 'sub-js-2', pair: 'ETHEUR', size: 1 });

  await waitFor('prices for BTCUSDT and ETHEUR', () => summary.prices.BTCUSDT > 0 && summary.prices.ETHEUR > 0, 10000);
  await connection.invoke('PlaceOtcOrder', 'order-js-1', lastPrice.BTCUSDT.id, 'buy', 1.0);
  await waitFor('execution.order.executed', () => summary.executed !== null, 10000);
  if (summary.executed.status !== 1) throw new Error('order status ' + summary.executed.status + ': ' + summary.executed.statusError);

  await waitFor('a reconnect and prices after it',
    () => summary.reconnected && summary.pricesAfterReconnect.BTCUSDT > 0 && summary.pricesAfterReconnect.ETHEUR > 0, 15000);
}

main()
  .then(async () => {
    await connection.stop();
    console.log(JSON.stringify({ ok: true, ...summary }));
    process.exit(0);
  })
  .catch(async (err) => {
    console.log(JSON.stringify({ ok: false, error: String(err && err.message || err), ...summary }));
    try { await connection.stop(); } catch (_) { /* already closed */ }
    process.exit(1);
  });
