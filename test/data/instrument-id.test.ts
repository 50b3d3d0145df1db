import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { InstrumentIdError } from "../../src/core/errors.ts";
import { InstrumentId, InstrumentKind } from "../../src/data/instrument-id.ts";
import { VenueId } from "../../src/data/venues.ts";
import { hexOf, instrumentIdArb, symbolArb } from "./tlv-arbitraries.ts";

const SEED = 0x1d5eed;

/** The error thrown by `fn`, which must be an InstrumentIdError. */
function idError(fn: () => unknown): InstrumentIdError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InstrumentIdError);
    return e as InstrumentIdError;
  }
  throw new Error("expected an InstrumentIdError, nothing was thrown");
}

/** 32 bytes of a valid Kraken BTC/USD spot id, for corrupting one byte at a time. */
const KRAKEN_BTC_USD = InstrumentId.spot(VenueId.Kraken, "BTC", "USD");
const POLYGON_POOL = "uniswap_v3:pool:polygon:0x45dda9cb7c25131df268515131f647d726f50608";

describe("InstrumentId.fromVenueSymbol", () => {
  test("Kraken XBT/USD is kraken:spot:BTC/USD (XBT alias normalised)", () => {
    const id = InstrumentId.fromVenueSymbol("kraken", "XBT/USD");
    expect(id.toString()).toBe("kraken:spot:BTC/USD");
    expect(id.venue).toBe(101);
    expect(id.kind).toBe(InstrumentKind.Spot);
    expect(id.base).toBe("BTC");
    expect(id.quote).toBe("USD");
    expect(id.equals(KRAKEN_BTC_USD)).toBe(true);
  });

  test("Kraken XDG is normalised to DOGE on either side", () => {
    expect(InstrumentId.fromVenueSymbol("kraken", "XDG/USD").toString()).toBe("kraken:spot:DOGE/USD");
    expect(InstrumentId.fromVenueSymbol("kraken", "ETH/XBT").toString()).toBe("kraken:spot:ETH/BTC");
  });

  test("Kraken perpetual symbols give a perp id", () => {
    expect(InstrumentId.fromVenueSymbol("kraken", "XBT/USD", "perp").toString()).toBe("kraken:perp:BTC/USD");
  });

  test("Kraken symbol without a slash is refused with the symbol in the facts", () => {
    const e = idError(() => InstrumentId.fromVenueSymbol("kraken", "XBTUSD"));
    expect(e.code).toBe("BadVenueSymbol");
    expect(e.facts).toEqual({ symbol: "XBTUSD" });
    expect(e.toLine()).toMatchInlineSnapshot(
      `"BadVenueSymbol: Kraken symbol "XBTUSD" is not BASE/QUOTE (symbol=XBTUSD); hint: use the WebSocket name, e.g. "XBT/USD""`,
    );
  });

  test("Binance BTCUSDT splits on USDT, ETHFDUSD on FDUSD (longest quote wins)", () => {
    expect(InstrumentId.fromVenueSymbol("binance", "BTCUSDT").toString()).toBe("binance:spot:BTC/USDT");
    expect(InstrumentId.fromVenueSymbol("binance", "ETHFDUSD").toString()).toBe("binance:spot:ETH/FDUSD");
    expect(InstrumentId.fromVenueSymbol("binance", "ETHBTC").toString()).toBe("binance:spot:ETH/BTC");
    expect(InstrumentId.fromVenueSymbol("binance", "BTCUSDT", "perp").toString()).toBe("binance:perp:BTC/USDT");
  });

  test("Binance symbol with no known quote asset is refused", () => {
    const e = idError(() => InstrumentId.fromVenueSymbol("binance", "FOOBAR"));
    expect(e.code).toBe("BadVenueSymbol");
    expect(e.facts.symbol).toBe("FOOBAR");
  });

  test("Binance symbol that is only a quote asset is refused (empty base)", () => {
    expect(idError(() => InstrumentId.fromVenueSymbol("binance", "USDT")).code).toBe("BadVenueSymbol");
  });
});

describe("InstrumentId from (chain, pool address)", () => {
  test("the polygon pool of the vectors has its 20 address bytes and canonical text", () => {
    const id = InstrumentId.pool(VenueId.UniswapV3, 137, "0x45dda9cb7c25131df268515131f647d726f50608");
    expect(id.toString()).toBe(POLYGON_POOL);
    expect(hexOf(id.bytes)).toBe("2d01030089000000" + "45dda9cb7c25131df268515131f647d726f50608" + "00000000");
    expect(id.chainId).toBe(137);
    expect(id.address).toBe("0x45dda9cb7c25131df268515131f647d726f50608");
  });

  test("a mixed-case address is stored and written lower-case", () => {
    const id = InstrumentId.pool(VenueId.QuickSwap, 137, "0x4A35582A710E1F4B2030A3F826DA20BFB6703C09");
    expect(id.toString()).toBe("quickswap:pool:polygon:0x4a35582a710e1f4b2030a3f826da20bfb6703c09");
  });

  test("token ids carry the chain and address", () => {
    const id = InstrumentId.token(VenueId.UniswapV2, 1, "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2");
    expect(id.toString()).toBe("uniswap_v2:token:ethereum:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2");
    expect(id.kind).toBe(InstrumentKind.Token);
  });

  test("an address that is not 20 hex bytes is refused", () => {
    const e = idError(() => InstrumentId.pool(301, 137, "0x45dda9"));
    expect(e.code).toBe("InvalidInstrumentId");
    expect(e.facts).toEqual({ address: "0x45dda9" });
  });

  test("a chain id or venue outside its integer width is refused", () => {
    expect(idError(() => InstrumentId.pool(301, 2 ** 32, `0x${"00".repeat(20)}`)).facts).toEqual({
      chain_id: 2 ** 32,
    });
    expect(idError(() => InstrumentId.spot(65536, "BTC", "USD")).facts).toEqual({ venue: 65536 });
    expect(idError(() => InstrumentId.spot(-1, "BTC", "USD")).facts).toEqual({ venue: -1 });
  });
});

describe("InstrumentId canonical text", () => {
  test("an unnamed venue is written v<number>, a named one by name", () => {
    expect(InstrumentId.spot(12345, "BTC", "USD").toString()).toBe("v12345:spot:BTC/USD");
    expect(InstrumentId.spot(0, "BTC", "USD").toString()).toBe("v0:spot:BTC/USD");
    expect(InstrumentId.spot(65000, "BTC", "USD").toString()).toBe("test:spot:BTC/USD");
  });

  test("an unnamed chain is written as its number, a named one by name", () => {
    const addr = "0x00000000000000000000000000000000000000aa";
    expect(InstrumentId.pool(301, 999, addr).toString()).toBe(`uniswap_v3:pool:999:${addr}`);
    expect(InstrumentId.pool(301, 1, addr).toString()).toBe(`uniswap_v3:pool:ethereum:${addr}`);
    expect(InstrumentId.pool(301, 42161, addr).toString()).toBe(`uniswap_v3:pool:arbitrum:${addr}`);
  });

  test("parse reads every canonical form back to the same bytes", () => {
    for (const text of [
      "kraken:spot:BTC/USD",
      "binance:perp:BTC/USDT",
      POLYGON_POOL,
      "v12345:spot:A.B/C-D_E",
      "v7:token:4294967295:0xffffffffffffffffffffffffffffffffffffffff",
    ]) {
      expect(InstrumentId.parse(text).toString()).toBe(text);
    }
    expect(InstrumentId.parse("kraken:spot:BTC/USD").equals(KRAKEN_BTC_USD)).toBe(true);
  });

  test("a named venue written by number is refused with the name as hint", () => {
    const e = idError(() => InstrumentId.parse("v101:spot:BTC/USD"));
    expect(e.code).toBe("InvalidInstrumentId");
    expect(e.facts).toEqual({ text: "v101:spot:BTC/USD", reason: "venue 101 has a name" });
    expect(e.hint).toBe('write "kraken"');
  });

  test("a named chain written by number is refused with the name as hint", () => {
    const e = idError(() => InstrumentId.parse("uniswap_v3:pool:137:0x45dda9cb7c25131df268515131f647d726f50608"));
    expect(e.facts.reason).toBe("chain 137 has a name");
    expect(e.hint).toBe('write "polygon"');
  });

  test("an upper-case address is refused with the lower-case spelling as hint", () => {
    const e = idError(() => InstrumentId.parse("uniswap_v3:pool:polygon:0x45DDA9CB7C25131DF268515131F647D726F50608"));
    expect(e.toLine()).toMatchInlineSnapshot(
      `"InvalidInstrumentId: invalid instrument text "uniswap_v3:pool:polygon:0x45DDA9CB7C25131DF268515131F647D726F50608": address must be 0x and 40 lower-case hex digits (text=uniswap_v3:pool:polygon:0x45DDA9CB7C25131DF268515131F647D726F50608, reason=address must be 0x and 40 lower-case hex digits); hint: write 0x45dda9cb7c25131df268515131f647d726f50608"`,
    );
  });

  test.each([
    ["", 'unknown venue ""'],
    ["kraken", 'unknown kind "undefined"'],
    ["krakenx:spot:BTC/USD", 'unknown venue "krakenx"'],
    ["KRAKEN:spot:BTC/USD", 'unknown venue "KRAKEN"'],
    ["kraken:swap:BTC/USD", 'unknown kind "swap"'],
    ["kraken::BTC/USD", 'unknown kind ""'],
    ["kraken:spot:BTCUSD", "expected BASE/QUOTE"],
    ["kraken:spot:BTC/USD/EUR", "expected BASE/QUOTE"],
    ["kraken:spot:BTC/USD:x", "expected venue:kind:BASE/QUOTE"],
    ["v00:spot:BTC/USD", 'unknown venue "v00"'],
    ["v65536:spot:BTC/USD", "venue number 65536 is not a u16"],
    ["uniswap_v3:pool:polygon", "expected venue:kind:chain:0xaddress"],
    ["uniswap_v3:pool:0137:0x45dda9cb7c25131df268515131f647d726f50608", 'unknown chain "0137"'],
    ["uniswap_v3:pool:4294967296:0x45dda9cb7c25131df268515131f647d726f50608", 'unknown chain "4294967296"'],
    ["uniswap_v3:pool:mars:0x45dda9cb7c25131df268515131f647d726f50608", 'unknown chain "mars"'],
    [
      "uniswap_v3:pool:polygon:45dda9cb7c25131df268515131f647d726f50608",
      "address must be 0x and 40 lower-case hex digits",
    ],
    ["uniswap_v3:pool:polygon:0x45dda9", "address must be 0x and 40 lower-case hex digits"],
  ])("invalid text %p is refused: %s", (text, reason) => {
    const e = idError(() => InstrumentId.parse(text));
    expect(e.code).toBe("InvalidInstrumentId");
    expect(e.facts.reason).toBe(reason);
    expect(e.facts.text).toBe(text);
  });

  test.each([
    ["kraken:spot:btc/USD", "btc"],
    ["kraken:spot:BTC/", ""],
    ["kraken:spot:ABCDEFGHIJKLM/USD", "ABCDEFGHIJKLM"],
    ["kraken:spot:BTC/US D", "US D"],
    ["kraken:spot:BTC/US$", "US$"],
  ])("text with an invalid symbol %p is refused naming the symbol", (text, symbol) => {
    const e = idError(() => InstrumentId.parse(text));
    expect(e.code).toBe("InvalidInstrumentId");
    expect(e.facts).toEqual({ symbol });
  });
});

describe("InstrumentId.fromBytes", () => {
  function corrupt(at: number, value: number, base: Uint8Array = KRAKEN_BTC_USD.bytes): Uint8Array {
    const b = base.slice();
    b[at] = value;
    return b;
  }

  test("reads a valid id from the middle of a larger buffer", () => {
    const buf = new Uint8Array(100).fill(0xaa);
    buf.set(KRAKEN_BTC_USD.bytes, 40);
    const id = InstrumentId.fromBytes(buf, 40);
    expect(id.toString()).toBe("kraken:spot:BTC/USD");
    expect(id.equals(KRAKEN_BTC_USD)).toBe(true);
  });

  test("non-zero flags are refused, naming byte 3", () => {
    const e = idError(() => InstrumentId.fromBytes(corrupt(3, 1)));
    expect(e.code).toBe("InvalidInstrumentId");
    expect(e.facts).toEqual({ offset: 3, reason: "flags byte is 1, must be 0" });
    expect(e.toLine()).toMatchInlineSnapshot(
      `"InvalidInstrumentId: invalid InstrumentId: flags byte is 1, must be 0 (offset=3, reason=flags byte is 1, must be 0); hint: ids are built only from venue symbols or (chain, address); see PROTOCOL.md §5"`,
    );
  });

  test("the offset fact is absolute in the buffer the id was read from", () => {
    const buf = new Uint8Array(64);
    buf.set(corrupt(3, 1), 10);
    expect(idError(() => InstrumentId.fromBytes(buf, 10)).facts.offset).toBe(13);
  });

  test("a chain id on a CEX pair is refused", () => {
    expect(idError(() => InstrumentId.fromBytes(corrupt(4, 137))).facts).toEqual({
      offset: 4,
      reason: "chain_id is 137, must be 0 for a CEX pair",
    });
  });

  test("non-zero padding after a pool address is refused", () => {
    const pool = InstrumentId.parse(POLYGON_POOL).bytes;
    for (let at = 28; at < 32; at++) {
      expect(idError(() => InstrumentId.fromBytes(corrupt(at, 1, pool))).facts).toEqual({
        offset: at,
        reason: "padding after the address must be zero",
      });
    }
  });

  test("a symbol byte outside A-Z 0-9 . - _ is refused, naming the byte", () => {
    expect(idError(() => InstrumentId.fromBytes(corrupt(8, 0x61))).facts).toEqual({
      offset: 8,
      reason: "symbol byte 0x61 is not one of A-Z 0-9 . - _",
    });
    expect(idError(() => InstrumentId.fromBytes(corrupt(21, 0x2f))).facts).toEqual({
      offset: 21,
      reason: "symbol byte 0x2f is not one of A-Z 0-9 . - _",
    });
    expect(idError(() => InstrumentId.fromBytes(corrupt(9, 0xff))).facts.offset).toBe(9);
  });

  test("an empty base or quote symbol is refused", () => {
    const noBase = KRAKEN_BTC_USD.bytes.slice();
    noBase.fill(0, 8, 20);
    expect(idError(() => InstrumentId.fromBytes(noBase)).facts).toEqual({ offset: 8, reason: "empty symbol" });
    const noQuote = KRAKEN_BTC_USD.bytes.slice();
    noQuote.fill(0, 20, 32);
    expect(idError(() => InstrumentId.fromBytes(noQuote)).facts).toEqual({ offset: 20, reason: "empty symbol" });
  });

  test("bytes after a symbol's NUL are refused (BTC\\0X would otherwise alias BTC)", () => {
    expect(idError(() => InstrumentId.fromBytes(corrupt(12, 0x58))).facts).toEqual({
      offset: 12,
      reason: "bytes after a symbol's NUL padding must be zero",
    });
  });

  test.each([0, 5, 6, 255])("unknown kind %p is refused, naming byte 2", (kind) => {
    expect(idError(() => InstrumentId.fromBytes(corrupt(2, kind))).facts).toEqual({
      offset: 2,
      reason: `unknown kind ${kind} (1 spot, 2 perp, 3 pool, 4 token)`,
    });
  });

  test("fewer than 32 bytes are refused", () => {
    expect(idError(() => InstrumentId.fromBytes(KRAKEN_BTC_USD.bytes.subarray(0, 31))).facts).toEqual({
      offset: 0,
      reason: "needs 32 bytes, 31 available",
    });
    expect(idError(() => InstrumentId.fromBytes(new Uint8Array(40), 9)).facts.reason).toBe(
      "needs 32 bytes, 31 available",
    );
  });

  test("twelve-character symbols fill their field with no NUL", () => {
    const id = InstrumentId.spot(100, "ABCDEFGHIJKL", "0123456789._");
    const back = InstrumentId.fromBytes(id.bytes);
    expect(back.base).toBe("ABCDEFGHIJKL");
    expect(back.quote).toBe("0123456789._");
  });

  test("the decoded id does not alias the buffer it was read from", () => {
    const buf = KRAKEN_BTC_USD.bytes.slice();
    const id = InstrumentId.fromBytes(buf);
    buf[8] = 0x45;
    expect(id.toString()).toBe("kraken:spot:BTC/USD");
    expect(id.bytes[8]).toBe(0x42);
  });
});

describe("InstrumentId bijection (property)", () => {
  test("bytes -> id -> bytes and text -> id -> text are the identity for every valid id", () => {
    fc.assert(
      fc.property(instrumentIdArb, (id) => {
        const fromBytes = InstrumentId.fromBytes(id.bytes);
        expect(hexOf(fromBytes.bytes)).toBe(hexOf(id.bytes));
        expect(fromBytes.toString()).toBe(id.toString());
        const text = id.toString();
        const parsed = InstrumentId.parse(text);
        expect(parsed.toString()).toBe(text);
        expect(parsed.equals(id)).toBe(true);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  test("symbols survive both directions unchanged", () => {
    fc.assert(
      fc.property(symbolArb, symbolArb, (base, quote) => {
        const id = InstrumentId.perp(VenueId.Binance, base, quote);
        const back = InstrumentId.parse(id.toString());
        expect([back.base, back.quote]).toEqual([base, quote]);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  /**
   * Random 32 bytes, mostly shaped like an id (so that the valid side is reached often): each is either refused with
   * InstrumentIdError or decodes to an id whose bytes and text both round-trip exactly.
   */
  const SYMBOL_BYTES = [0, 0, 0, 0x41, 0x5a, 0x30, 0x39, 0x2e, 0x2d, 0x5f, 0x2f, 0x61, 0x20, 0x7f, 0xff];
  const shapedBytes = fc
    .tuple(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.constantFrom(0, 1, 2, 3, 4, 5),
      fc.constantFrom("zero", "random"),
      fc.array(fc.constantFrom(...SYMBOL_BYTES), { minLength: 24, maxLength: 24 }),
      fc.boolean(),
    )
    .map(([raw, kind, chain, symbols, shaped]) => {
      if (!shaped) return raw;
      const b = raw.slice();
      b[2] = kind;
      b[3] = raw[3] < 16 ? raw[3] : 0; // non-zero flags now and then
      if (chain === "zero") b.fill(0, 4, 8);
      if (kind <= 2) b.set(symbols, 8);
      else if (raw[28] < 200) b.fill(0, 28, 32);
      return b;
    });

  test("fromBytes(any 32 bytes) throws InstrumentIdError or round-trips exactly", () => {
    let valid = 0;
    fc.assert(
      fc.property(shapedBytes, (bytes) => {
        let id: InstrumentId;
        try {
          id = InstrumentId.fromBytes(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(InstrumentIdError);
          expect((e as InstrumentIdError).code).toBe("InvalidInstrumentId");
          return;
        }
        valid++;
        expect(hexOf(id.bytes)).toBe(hexOf(bytes));
        expect(hexOf(InstrumentId.parse(id.toString()).bytes)).toBe(hexOf(bytes));
      }),
      { seed: SEED, numRuns: 5000 },
    );
    expect(valid).toBeGreaterThan(200); // the generator reaches the valid side, not only refusals
  });
});
