// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Multicall3's aggregate3 (mds1/multicall, MIT), the one function viem's multicall calls: same selector, same
/// ABI, same "Multicall3: call failed" revert. Deployed on the local chain to test the batched read path; real
/// chains have the full contract at 0xcA11bde05977b3631167028862bE2a173976CA11.
contract Multicall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    function aggregate3(Call3[] calldata calls) public payable returns (Result[] memory returnData) {
        uint256 length = calls.length;
        returnData = new Result[](length);
        for (uint256 i = 0; i < length; i++) {
            Call3 calldata call = calls[i];
            Result memory result = returnData[i];
            (result.success, result.returnData) = call.target.call(call.callData);
            require(call.allowFailure || result.success, "Multicall3: call failed");
        }
    }
}
