// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test, Vm} from "./lib/Test.sol";
import {L1Block} from "../src/L2/L1Block.sol";
import {GasPriceOracle} from "../src/L2/GasPriceOracle.sol";
import {L2ToL1MessagePasser} from "../src/L2/L2ToL1MessagePasser.sol";
import {FeeVault, SequencerFeeVault, BaseFeeVault, L1FeeVault} from "../src/L2/FeeVault.sol";
import {Predeploys} from "../src/L2/Predeploys.sol";

/// Predeploys are placed with vm.etch at their genesis addresses (runtime code only, no
/// constructor), exactly as the genesis allocation will hold them.
contract L2PredeploysTest is Test {
    L1Block internal l1Block = L1Block(Predeploys.L1_BLOCK);
    GasPriceOracle internal gpo = GasPriceOracle(Predeploys.GAS_PRICE_ORACLE);
    L2ToL1MessagePasser internal passer = L2ToL1MessagePasser(payable(Predeploys.L2_TO_L1_MESSAGE_PASSER));

    function setUp() public {
        vm.etch(Predeploys.L1_BLOCK, type(L1Block).runtimeCode);
        vm.etch(Predeploys.GAS_PRICE_ORACLE, type(GasPriceOracle).runtimeCode);
        vm.etch(Predeploys.L2_TO_L1_MESSAGE_PASSER, type(L2ToL1MessagePasser).runtimeCode);
    }

    function _setL1Info(
        uint32 _baseFeeScalar,
        uint32 _blobBaseFeeScalar,
        uint64 _seq,
        uint64 _ts,
        uint64 _num,
        uint256 _basefee,
        uint256 _blobBaseFee,
        bytes32 _hash,
        bytes32 _batcherHash
    ) internal {
        bytes memory cd = abi.encodePacked(
            bytes4(0x440a5e20),
            _baseFeeScalar,
            _blobBaseFeeScalar,
            _seq,
            _ts,
            _num,
            _basefee,
            _blobBaseFee,
            _hash,
            _batcherHash
        );
        assertEq(cd.length, 164);
        vm.prank(Predeploys.DEPOSITOR_ACCOUNT);
        (bool ok,) = address(l1Block).call(cd);
        assertTrue(ok, "setL1BlockValuesEcotone");
    }

    // ------------------------------------------------------------------ L1Block

    function test_l1BlockSelectors() public pure {
        assertEq(uint256(uint32(L1Block.setL1BlockValuesEcotone.selector)), 0x440a5e20);
        assertEq(uint256(uint32(L1Block.NotDepositor.selector)), 0x3cc50b45);
    }

    function test_setL1BlockValuesEcotoneGettersAndSlots() public {
        _setL1Info(
            1368, 810949, 3, 1_700_000_123, 19_000_000, 30 gwei, 2 wei, keccak256("l1"), bytes32(uint256(0xba7c))
        );
        assertEq(uint256(l1Block.baseFeeScalar()), 1368);
        assertEq(uint256(l1Block.blobBaseFeeScalar()), 810949);
        assertEq(uint256(l1Block.sequenceNumber()), 3);
        assertEq(uint256(l1Block.timestamp()), 1_700_000_123);
        assertEq(uint256(l1Block.number()), 19_000_000);
        assertEq(l1Block.basefee(), 30 gwei);
        assertEq(l1Block.blobBaseFee(), 2);
        assertEq(l1Block.hash(), keccak256("l1"));
        assertEq(l1Block.batcherHash(), bytes32(uint256(0xba7c)));
        assertEq(l1Block.DEPOSITOR_ACCOUNT(), 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001);

        // OP's storage layout.
        address a = address(l1Block);
        assertEq(vm.load(a, bytes32(uint256(0))), bytes32((uint256(1_700_000_123) << 64) | 19_000_000));
        assertEq(vm.load(a, bytes32(uint256(1))), bytes32(uint256(30 gwei)));
        assertEq(vm.load(a, bytes32(uint256(2))), keccak256("l1"));
        assertEq(vm.load(a, bytes32(uint256(3))), bytes32((uint256(1368) << 96) | (uint256(810949) << 64) | 3));
        assertEq(vm.load(a, bytes32(uint256(4))), bytes32(uint256(0xba7c)));
        assertEq(vm.load(a, bytes32(uint256(7))), bytes32(uint256(2)));
        // legacy slots untouched
        assertEq(vm.load(a, bytes32(uint256(5))), bytes32(0));
        assertEq(vm.load(a, bytes32(uint256(6))), bytes32(0));
    }

    function test_legacySlotsReadable() public {
        vm.store(address(l1Block), bytes32(uint256(5)), bytes32(uint256(188)));
        vm.store(address(l1Block), bytes32(uint256(6)), bytes32(uint256(684000)));
        assertEq(l1Block.l1FeeOverhead(), 188);
        assertEq(l1Block.l1FeeScalar(), 684000);
    }

    function test_RevertWhen_l1InfoNotFromDepositor() public {
        vm.expectRevert(L1Block.NotDepositor.selector);
        l1Block.setL1BlockValuesEcotone();
    }

    // ------------------------------------------------------------------ GasPriceOracle

    /// Worked example 1 (mainnet-like scalars):
    ///   tx = 10 zero bytes + 20 non-zero bytes
    ///   l1GasUsed = 10*4 + 20*16 + 68*16 = 40 + 320 + 1088 = 1448
    ///   fee = 1448 * (16*1368*30e9 + 810949*1e9) / 16e6
    ///       = 1448 * (656_640e9 + 810_949e9) / 16e6 = 1448 * 1_467_589e9 / 16e6
    ///       = 2_125_068_872e9 / 16e6 = 132_816_804_500 wei
    function test_l1FeeWorkedExample1() public {
        _setL1Info(1368, 810949, 0, 0, 0, 30 gwei, 1 gwei, bytes32(0), bytes32(0));
        bytes memory txData = abi.encodePacked(new bytes(10), bytes20(type(uint160).max));
        assertEq(gpo.getL1GasUsed(txData), 1448);
        assertEq(gpo.getL1Fee(txData), 132_816_804_500);
    }

    /// Worked example 2: baseFeeScalar = 1e6 means "exactly the L1 calldata cost":
    ///   empty tx: l1GasUsed = 1088; fee = 1088 * 16 * 1e6 * 1 gwei / 16e6 = 1088 gwei.
    function test_l1FeeWorkedExample2() public {
        _setL1Info(1_000_000, 0, 0, 0, 0, 1 gwei, 123 gwei, bytes32(0), bytes32(0));
        assertEq(gpo.getL1GasUsed(""), 1088);
        assertEq(gpo.getL1Fee(""), 1088 gwei);
    }

    /// Worked example 3: blob component only, blobBaseFeeScalar = 16e6 (1x), blobBaseFee = 7 wei:
    ///   tx = 0x00: l1GasUsed = 4 + 1088 = 1092; fee = 1092 * 16e6 * 7 / 16e6 = 7644 wei.
    function test_l1FeeWorkedExample3() public {
        _setL1Info(0, 16_000_000, 0, 0, 0, 50 gwei, 7, bytes32(0), bytes32(0));
        assertEq(gpo.getL1GasUsed(hex"00"), 1092);
        assertEq(gpo.getL1Fee(hex"00"), 7644);
    }

    /// Worked example 4: rounding is floor: 1 non-zero byte, baseFeeScalar = 1, l1BaseFee = 1,
    ///   l1GasUsed = 16 + 1088 = 1104; fee = 1104 * 16 / 16e6 = 0 (floor of 0.001104).
    function test_l1FeeWorkedExample4Rounding() public {
        _setL1Info(1, 0, 0, 0, 0, 1, 0, bytes32(0), bytes32(0));
        assertEq(gpo.getL1Fee(hex"ff"), 0);
    }

    function test_gpoGetters() public {
        _setL1Info(11, 22, 0, 0, 0, 33, 44, bytes32(0), bytes32(0));
        vm.fee(5 gwei);
        assertEq(gpo.l1BaseFee(), 33);
        assertEq(gpo.blobBaseFee(), 44);
        assertEq(uint256(gpo.baseFeeScalar()), 11);
        assertEq(uint256(gpo.blobBaseFeeScalar()), 22);
        assertEq(gpo.decimals(), 6);
        assertTrue(gpo.isEcotone());
        assertEq(gpo.gasPrice(), 5 gwei);
        assertEq(gpo.baseFee(), 5 gwei);
        assertEq(gpo.getOperatorFee(21000), 0);
    }

    function testFuzz_l1FeeFormula(bytes calldata _data, uint32 _s1, uint32 _s2, uint64 _bf, uint64 _bbf) public {
        _setL1Info(_s1, _s2, 0, 0, 0, _bf, _bbf, bytes32(0), bytes32(0));
        uint256 zeros;
        for (uint256 i = 0; i < _data.length; i++) {
            if (_data[i] == 0) zeros++;
        }
        uint256 gasUsed = zeros * 4 + (_data.length - zeros) * 16 + 1088;
        assertEq(gpo.getL1GasUsed(_data), gasUsed);
        assertEq(
            gpo.getL1Fee(_data),
            gasUsed * (16 * uint256(_s1) * uint256(_bf) + uint256(_s2) * uint256(_bbf)) / 16_000_000
        );
    }

    // ------------------------------------------------------------------ L2ToL1MessagePasser

    function test_initiateWithdrawalHashEventAndSlot() public {
        address sender = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;
        vm.deal(sender, 2 ether);
        for (uint256 i = 0; i < 7; i++) {
            vm.prank(sender);
            passer.initiateWithdrawal(address(uint160(100 + i)), 1, "");
        }
        uint256 nonce = passer.messageNonce();
        assertEq(nonce, (uint256(1) << 240) | 7);
        // vector: cast keccak $(cast abi-encode 'f(uint256,address,address,uint256,uint256,bytes)' \
        //   $((1<<240|7)) 0xf39F...2266 0x...bEEF 1000000000000000000 100000 0x)
        bytes32 expected = 0x811d53e1bc4e5af62dd8934eed73e970bf5132fd67d60caea0a4c032c46ae619;
        vm.expectEmit(true, true, true, true, address(passer));
        emit L2ToL1MessagePasser.MessagePassed(
            nonce, sender, 0x000000000000000000000000000000000000bEEF, 1 ether, 100_000, "", expected
        );
        vm.prank(sender);
        passer.initiateWithdrawal{value: 1 ether}(0x000000000000000000000000000000000000bEEF, 100_000, "");
        assertTrue(passer.sentMessages(expected));
        // sentMessages is slot 0: the entry lives at keccak256(hash ++ 0) and holds 1.
        assertEq(vm.load(address(passer), keccak256(abi.encode(expected, uint256(0)))), bytes32(uint256(1)));
        // msgNonce at slot 1
        assertEq(vm.load(address(passer), bytes32(uint256(1))), bytes32(uint256(8)));
        assertEq(passer.messageNonce(), (uint256(1) << 240) | 8);
    }

    function test_receiveWithdrawsToSender() public {
        vm.deal(address(this), 1 ether);
        vm.recordLogs();
        (bool ok,) = address(passer).call{value: 3}("");
        assertTrue(ok);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].topics[2], bytes32(uint256(uint160(address(this)))));
        assertEq(logs[0].topics[3], bytes32(uint256(uint160(address(this)))));
        (uint256 value, uint256 gasLimit,,) = abi.decode(logs[0].data, (uint256, uint256, bytes, bytes32));
        assertEq(value, 3);
        assertEq(gasLimit, 100_000);
    }

    function test_burn() public {
        vm.deal(address(passer), 5 ether);
        vm.expectEmit(true, true, true, true, address(passer));
        emit L2ToL1MessagePasser.WithdrawerBalanceBurnt(5 ether);
        passer.burn();
        assertEq(address(passer).balance, 0);
    }

    function test_messageVersion() public view {
        assertEq(uint256(passer.MESSAGE_VERSION()), 1);
        assertEq(passer.messageNonce(), uint256(1) << 240);
    }

    // ------------------------------------------------------------------ fee vaults

    function _vault(address _at, bytes memory _code, address _recipient, uint256 _min) internal returns (FeeVault v) {
        vm.etch(_at, _code);
        vm.store(_at, bytes32(uint256(0)), bytes32(uint256(uint160(_recipient))));
        vm.store(_at, bytes32(uint256(1)), bytes32(_min));
        v = FeeVault(payable(_at));
    }

    function test_feeVaultsWithdrawToL1() public {
        address rcpt = address(0x1234);
        FeeVault[3] memory vs = [
            _vault(Predeploys.SEQUENCER_FEE_VAULT, type(SequencerFeeVault).runtimeCode, rcpt, 1 ether),
            _vault(Predeploys.BASE_FEE_VAULT, type(BaseFeeVault).runtimeCode, rcpt, 1 ether),
            _vault(Predeploys.L1_FEE_VAULT, type(L1FeeVault).runtimeCode, rcpt, 1 ether)
        ];
        for (uint256 i = 0; i < 3; i++) {
            FeeVault v = vs[i];
            assertEq(v.RECIPIENT(), rcpt);
            assertEq(v.recipient(), rcpt);
            assertEq(v.MIN_WITHDRAWAL_AMOUNT(), 1 ether);
            vm.deal(address(v), 2 ether);
            uint256 nonce = passer.messageNonce();
            bytes32 h = keccak256(abi.encode(nonce, address(v), rcpt, 2 ether, uint256(100_000), bytes("")));
            vm.expectEmit(true, true, true, true, address(passer));
            emit L2ToL1MessagePasser.MessagePassed(nonce, address(v), rcpt, 2 ether, 100_000, "", h);
            v.withdraw();
            assertEq(v.totalProcessed(), 2 ether);
            assertEq(vm.load(address(v), bytes32(uint256(2))), bytes32(uint256(2 ether)));
            assertEq(address(v).balance, 0);
            assertTrue(passer.sentMessages(h));
        }
        assertEq(address(passer).balance, 6 ether);
    }

    function test_RevertWhen_feeVaultBelowMinimum() public {
        FeeVault v = _vault(Predeploys.BASE_FEE_VAULT, type(BaseFeeVault).runtimeCode, address(0x1234), 1 ether);
        vm.deal(address(v), 1 ether - 1);
        vm.expectRevert(bytes("FeeVault: withdrawal amount must be greater than minimum withdrawal amount"));
        v.withdraw();
    }

    function test_RevertWhen_feeVaultHasNoRecipient() public {
        FeeVault v = _vault(Predeploys.L1_FEE_VAULT, type(L1FeeVault).runtimeCode, address(0), 0);
        vm.expectRevert(FeeVault.NoRecipient.selector);
        v.withdraw();
    }
}
