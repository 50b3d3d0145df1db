// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

interface IERC20Min {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

interface IUniswapV2PairMin {
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

interface IUniswapV3PoolMin {
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
}

/// ap's arbitrage contract (docs/onchain-execution.md). `execute` takes a round trip atomically: the first pool is
/// swapped pay-later (a V2 flash swap, or a V3 swap whose callback pays), its output is sold on the second pool
/// inside the callback, the first pool is repaid from the proceeds, and the transaction reverts unless the proceeds
/// reach max(minAmountOut, what is owed). So a lost race costs gas and nothing else. Whatever the contract holds at
/// the end (the profit) goes to the owner in the same transaction. `swapExactInput` is one direct pool swap paid from
/// the owner's allowance (the DEX leg of a CEX-DEX signal), with amountOutMin and a deadline.
///
/// Callbacks are accepted only from the pool the running call expects (kept in transient storage, EIP-1153), so
/// nobody can call them from outside a running `execute` or `swapExactInput`.
contract FlashArbitrage {
    /// One pool of a route. feePpm: the V2 pair's fee in millionths (3000 for Uniswap V2); unused for V3.
    struct Leg {
        address pool;
        bool v3;
        bool zeroForOne;
        uint32 feePpm;
    }

    // TickMath.MIN_SQRT_RATIO + 1 and MAX_SQRT_RATIO - 1: no price limit beyond the protocol's.
    uint160 internal constant MIN_LIMIT = 4295128740;
    uint160 internal constant MAX_LIMIT = 1461446703485210103287273052203988822378723970341;

    address public immutable owner;
    address transient expectedCaller;

    error NotOwner();
    error Expired(uint256 deadline, uint256 timestamp);
    error ProfitBelowMinimum(uint256 amountOut, uint256 required);
    error OutputBelowMinimum(uint256 amountOut, uint256 amountOutMin);
    error UnexpectedCallback(address caller);
    error TransferFailed(address token, address to, uint256 amount);

    event Arbitrage(address indexed tokenIn, uint256 amountIn, uint256 amountOut, uint256 profit);

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    modifier before(uint256 deadline) {
        if (deadline != 0 && block.timestamp > deadline) revert Expired(deadline, block.timestamp);
        _;
    }

    /// Round trip: amountIn of tokenIn into `buy` (pay-later), its output (tokenMid) into `sell`, tokenIn back.
    /// Returns the profit sent to the owner.
    function execute(
        Leg calldata buy,
        Leg calldata sell,
        address tokenIn,
        address tokenMid,
        uint256 amountIn,
        uint256 minAmountOut,
        uint256 deadline
    ) external onlyOwner before(deadline) returns (uint256 profit) {
        bytes memory data = abi.encode(uint8(1), sell, tokenIn, tokenMid, amountIn, minAmountOut);
        expectedCaller = buy.pool;
        if (buy.v3) {
            IUniswapV3PoolMin(buy.pool).swap(
                address(this), buy.zeroForOne, int256(amountIn), buy.zeroForOne ? MIN_LIMIT : MAX_LIMIT, data
            );
        } else {
            uint256 mid = v2AmountOut(buy, amountIn);
            IUniswapV2PairMin(buy.pool).swap(
                buy.zeroForOne ? 0 : mid, buy.zeroForOne ? mid : 0, address(this), data
            );
        }
        expectedCaller = address(0);
        profit = IERC20Min(tokenIn).balanceOf(address(this));
        // A V3 sell leg that ran out of liquidity leaves tokenMid behind: it goes to the owner too, never stays.
        uint256 rest = IERC20Min(tokenMid).balanceOf(address(this));
        if (profit > 0) pay(tokenIn, owner, profit);
        if (rest > 0) pay(tokenMid, owner, rest);
        emit Arbitrage(tokenIn, amountIn, amountIn + profit, profit);
    }

    /// One exact-input swap on one pool, paid from the owner's allowance to this contract, output to the owner.
    function swapExactInput(Leg calldata leg, address tokenIn, uint256 amountIn, uint256 amountOutMin, uint256 deadline)
        external
        onlyOwner
        before(deadline)
        returns (uint256 amountOut)
    {
        if (leg.v3) {
            expectedCaller = leg.pool;
            (int256 a0, int256 a1) = IUniswapV3PoolMin(leg.pool).swap(
                owner,
                leg.zeroForOne,
                int256(amountIn),
                leg.zeroForOne ? MIN_LIMIT : MAX_LIMIT,
                abi.encode(uint8(3), tokenIn)
            );
            expectedCaller = address(0);
            amountOut = uint256(-(leg.zeroForOne ? a1 : a0));
        } else {
            if (!IERC20Min(tokenIn).transferFrom(owner, leg.pool, amountIn)) {
                revert TransferFailed(tokenIn, leg.pool, amountIn);
            }
            amountOut = v2AmountOut(leg, amountIn);
            IUniswapV2PairMin(leg.pool).swap(
                leg.zeroForOne ? 0 : amountOut, leg.zeroForOne ? amountOut : 0, owner, new bytes(0)
            );
        }
        if (amountOut < amountOutMin) revert OutputBelowMinimum(amountOut, amountOutMin);
    }

    function uniswapV2Call(address sender, uint256 amount0, uint256 amount1, bytes calldata data) external {
        if (msg.sender != expectedCaller || sender != address(this)) revert UnexpectedCallback(msg.sender);
        (, Leg memory sell, address tokenIn, address tokenMid, uint256 amountIn, uint256 minAmountOut) =
            abi.decode(data, (uint8, Leg, address, address, uint256, uint256));
        settle(sell, tokenIn, tokenMid, amount0 + amount1, amountIn, minAmountOut);
    }

    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data) external {
        if (msg.sender != expectedCaller) revert UnexpectedCallback(msg.sender);
        uint8 stage = abi.decode(data[:32], (uint8));
        // the positive delta is what the pool is owed, the negative one what it paid
        (uint256 owed, uint256 received) = amount0Delta > 0
            ? (uint256(amount0Delta), uint256(-amount1Delta))
            : (uint256(amount1Delta), uint256(-amount0Delta));
        if (stage == 1) {
            (, Leg memory sell, address tokenIn, address tokenMid,, uint256 minAmountOut) =
                abi.decode(data, (uint8, Leg, address, address, uint256, uint256));
            settle(sell, tokenIn, tokenMid, received, owed, minAmountOut);
        } else if (stage == 2) {
            (, address tokenMid) = abi.decode(data, (uint8, address));
            pay(tokenMid, msg.sender, owed);
        } else {
            (, address tokenIn) = abi.decode(data, (uint8, address));
            if (!IERC20Min(tokenIn).transferFrom(owner, msg.sender, owed)) {
                revert TransferFailed(tokenIn, msg.sender, owed);
            }
        }
    }

    /// Inside the first pool's callback: sell `mid` on the second pool, check the proceeds, repay `owed`.
    function settle(
        Leg memory sell,
        address tokenIn,
        address tokenMid,
        uint256 mid,
        uint256 owed,
        uint256 minAmountOut
    ) internal {
        address first = expectedCaller;
        uint256 out;
        if (sell.v3) {
            expectedCaller = sell.pool;
            (int256 a0, int256 a1) = IUniswapV3PoolMin(sell.pool).swap(
                address(this),
                sell.zeroForOne,
                int256(mid),
                sell.zeroForOne ? MIN_LIMIT : MAX_LIMIT,
                abi.encode(uint8(2), tokenMid)
            );
            expectedCaller = first;
            out = uint256(-(sell.zeroForOne ? a1 : a0));
        } else {
            pay(tokenMid, sell.pool, mid);
            out = v2AmountOut(sell, mid);
            IUniswapV2PairMin(sell.pool).swap(
                sell.zeroForOne ? 0 : out, sell.zeroForOne ? out : 0, address(this), new bytes(0)
            );
        }
        uint256 required = minAmountOut > owed ? minAmountOut : owed;
        if (out < required) revert ProfitBelowMinimum(out, required);
        pay(tokenIn, first, owed);
    }

    /// UniswapV2Library.getAmountOut with the pair's fee, on the reserves of this moment.
    function v2AmountOut(Leg memory leg, uint256 amountIn) internal view returns (uint256) {
        (uint112 r0, uint112 r1,) = IUniswapV2PairMin(leg.pool).getReserves();
        (uint256 reserveIn, uint256 reserveOut) = leg.zeroForOne ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
        uint256 inWithFee = amountIn * (1_000_000 - leg.feePpm);
        return (inWithFee * reserveOut) / (reserveIn * 1_000_000 + inWithFee);
    }

    function pay(address token, address to, uint256 amount) internal {
        if (!IERC20Min(token).transfer(to, amount)) revert TransferFailed(token, to, amount);
    }
}
