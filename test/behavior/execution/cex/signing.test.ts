import { describe, expect, test } from "bun:test";
import { binanceSignature } from "../../../../src/behavior/execution/cex/binance-sign.ts";
import { krakenSignature } from "../../../../src/behavior/execution/cex/kraken-sign.ts";

describe("krakenSignature", () => {
  test("reproduces the API-Sign of Kraken's documented AddOrder example", () => {
    // docs.kraken.com/api/docs/guides/spot-rest-auth, "Examples": buy 1.25 XBTUSD at $37,500
    const secret = Buffer.from(
      "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==",
      "base64",
    );
    const sign = krakenSignature({
      uriPath: "/0/private/AddOrder",
      nonce: "1616492376594",
      postData: "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25",
      secret: new Uint8Array(secret),
    });
    expect(sign).toBe("4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==");
  });
});

describe("binanceSignature", () => {
  test("reproduces the signature of Binance's documented SIGNED example", () => {
    // developers.binance.com spot REST "Request security", SIGNED endpoint examples for POST /api/v3/order (HMAC)
    const sign = binanceSignature({
      totalParams:
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
      secret: new TextEncoder().encode("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"),
    });
    expect(sign).toBe("c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
  });
});
