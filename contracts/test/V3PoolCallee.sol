// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IERC20Like {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

interface IUniswapV3PoolLike {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
}

/// Calls UniswapV3Pool.mint and .swap and pays in the callbacks from the caller's approved balance, as
/// v3-core's TestUniswapV3Callee does (that contract is not in the npm package). For tests only: the callbacks trust
/// msg.sender to be a pool, so anyone holding an approval to this contract could be drained through it.
contract V3PoolCallee {
    function mint(address pool, address recipient, int24 tickLower, int24 tickUpper, uint128 amount) external {
        IUniswapV3PoolLike(pool).mint(recipient, tickLower, tickUpper, amount, abi.encode(msg.sender));
    }

    /// amountSpecified > 0: exact input; < 0: exact output (UniswapV3Pool.swap's convention).
    function swap(address pool, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, address recipient)
        external
        returns (int256 amount0, int256 amount1)
    {
        return IUniswapV3PoolLike(pool).swap(
            recipient, zeroForOne, amountSpecified, sqrtPriceLimitX96, abi.encode(msg.sender)
        );
    }

    function uniswapV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata data) external {
        address payer = abi.decode(data, (address));
        if (amount0Owed > 0) IERC20Like(IUniswapV3PoolLike(msg.sender).token0()).transferFrom(payer, msg.sender, amount0Owed);
        if (amount1Owed > 0) IERC20Like(IUniswapV3PoolLike(msg.sender).token1()).transferFrom(payer, msg.sender, amount1Owed);
    }

    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data) external {
        address payer = abi.decode(data, (address));
        if (amount0Delta > 0) {
            IERC20Like(IUniswapV3PoolLike(msg.sender).token0()).transferFrom(payer, msg.sender, uint256(amount0Delta));
        }
        if (amount1Delta > 0) {
            IERC20Like(IUniswapV3PoolLike(msg.sender).token1()).transferFrom(payer, msg.sender, uint256(amount1Delta));
        }
    }
}
