// Compiled (never run) by test/22.ccxt-books.test.ts under strict TypeScript: a ccxt bot's books
// go to predict(), predictBatch() and submit() as ccxt types them, with no casts.
import type { OrderBook, pro } from 'ccxt';

type WsExchange = InstanceType<typeof pro.binance>;

import { BookBatch, createEngine, normalizeBook } from '../../dist/index.js';

declare const rest: OrderBook; // fetchOrderBook(): levels typed [Num, Num][]
declare const exchange: WsExchange; // watchOrderBook(): ccxt's ws OrderBook
declare const batch: BookBatch;

export async function bot(): Promise<void> {
  const engine = createEngine({ model: 'model.safetensors' });
  const live = await exchange.watchOrderBook('BTC/USDT');
  const a = engine.predict(rest);
  const b = engine.predict(live);
  const many = engine.predictBatch([rest, live, normalizeBook(live).book]);
  batch.set(0, rest);
  engine.submit('BTC/USDT', live);
  const raw = { bids: [['101.2', '3.5']], asks: [['101.3', '1']] };
  // @ts-expect-error string levels are not a Book: they go through normalizeBook() first
  engine.predict(raw);
  engine.predict(normalizeBook(raw).book);
  void [a.direction, b.probs, many.count];
}
