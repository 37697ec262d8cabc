//! User deposits: decoding the Portal's `TransactionDeposited` logs into deposit transactions,
//! and the deposit source hashes (OP deposits spec).
//!
//! The Portal emits `TransactionDeposited(address indexed from, address indexed to, uint256
//! indexed version, bytes opaqueData)` with version 0 and
//! `opaqueData = abi.encodePacked(uint256 mint, uint256 value, uint64 gasLimit, bool isCreation,
//! bytes data)`. The decoder is strict: any log the Portal could not have emitted is an error,
//! so a decoded deposit re-encodes to exactly the log it came from ([`deposit_log_data`]).
//!
//! The caller filters logs by emitter (the Portal's address); this module only reads
//! topics and data.

use alloc::vec::Vec;
use alloy_primitives::{Address, B256, Bytes, Log, LogData, TxKind, U256, b256, keccak256};

use crate::{Result, TxDeposit};

/// `keccak256("TransactionDeposited(address,address,uint256,bytes)")`, topic 0 of a deposit log.
pub const TRANSACTION_DEPOSITED_TOPIC: B256 =
    b256!("b3813568d9991fc951961fcb4c784893574240a28925604d09fc577c55bb7c32");

/// The only deposit event version (topic 3) the Portal emits.
pub const DEPOSIT_EVENT_VERSION_0: B256 = B256::ZERO;

/// Source-hash domain of user deposits (from `TransactionDeposited` logs).
pub const USER_DEPOSIT_SOURCE_DOMAIN: u64 = 0;

/// Source-hash domain of the L1-info deposit that opens every L2 block.
pub const L1_INFO_DEPOSIT_SOURCE_DOMAIN: u64 = 1;

/// Length of the fixed part of `opaqueData`: mint(32) ++ value(32) ++ gasLimit(8) ++ isCreation(1).
pub const OPAQUE_DATA_FIXED_LEN: usize = 32 + 32 + 8 + 1;

/// Why a log is not a valid deposit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DepositLogError {
    /// A deposit log has exactly four topics.
    #[error("expected 4 topics, got {0}")]
    TopicCount(usize),
    /// Topic 0 is not `TransactionDeposited`.
    #[error("topic 0 is not TransactionDeposited")]
    WrongEventTopic,
    /// Topic 3 (the version) is not 0.
    #[error("unsupported deposit event version")]
    UnsupportedVersion,
    /// The `from` topic is not a left-padded address.
    #[error("from topic is not an address")]
    BadFromTopic,
    /// The `to` topic is not a left-padded address.
    #[error("to topic is not an address")]
    BadToTopic,
    /// The log data is not the ABI encoding of one `bytes` value.
    #[error("log data is not abi-encoded bytes: {0}")]
    BadAbiBytes(&'static str),
    /// `opaqueData` is shorter than its fixed 73-byte prefix.
    #[error("opaque data is {0} bytes, shorter than 73")]
    OpaqueDataTooShort(usize),
    /// `mint` does not fit in 128 bits.
    #[error("mint does not fit in 128 bits")]
    MintOverflow,
    /// The `isCreation` byte is neither 0 nor 1.
    #[error("isCreation byte is {0:#x}, not a bool")]
    BadIsCreation(u8),
    /// A creation names a target; the Portal requires `to == address(0)` (`BadTarget`).
    #[error("contract creation with a non-zero to address")]
    CreationWithTarget,
}

/// `keccak256(bytes32(domain) ++ keccak256(l1BlockHash ++ bytes32(index)))`.
fn source_hash(domain: u64, l1_block_hash: B256, index: u64) -> B256 {
    let mut inner = [0u8; 64];
    inner[..32].copy_from_slice(l1_block_hash.as_slice());
    inner[56..].copy_from_slice(&index.to_be_bytes());
    let mut outer = [0u8; 64];
    outer[24..32].copy_from_slice(&domain.to_be_bytes());
    outer[32..].copy_from_slice(keccak256(inner).as_slice());
    keccak256(outer)
}

/// Source hash of a user deposit: domain 0 over the L1 block hash and the log's index in that
/// block (the block-wide `logIndex`, not the index within its receipt).
pub fn user_deposit_source_hash(l1_block_hash: B256, log_index: u64) -> B256 {
    source_hash(USER_DEPOSIT_SOURCE_DOMAIN, l1_block_hash, log_index)
}

/// Source hash of an L1-info deposit: domain 1 over the L1 origin's hash and the L2 block's
/// sequence number within its epoch.
pub fn l1_info_source_hash(l1_block_hash: B256, sequence_number: u64) -> B256 {
    source_hash(
        L1_INFO_DEPOSIT_SOURCE_DOMAIN,
        l1_block_hash,
        sequence_number,
    )
}

/// Reads a topic as an address; the upper 12 bytes must be zero.
fn topic_address(topic: &B256) -> Option<Address> {
    let (pad, addr) = topic.as_slice().split_at(12);
    pad.iter()
        .all(|b| *b == 0)
        .then(|| Address::from_slice(addr))
}

/// Reads the log data as the strict ABI encoding of a single `bytes` value:
/// `offset (= 32) ++ length ++ content ++ zero padding to a multiple of 32`.
fn abi_bytes(data: &[u8]) -> Result<&[u8], DepositLogError> {
    use DepositLogError::BadAbiBytes;
    if data.len() < 64 {
        return Err(BadAbiBytes("shorter than 64 bytes"));
    }
    let (head, tail) = data.split_at(64);
    if U256::from_be_slice(&head[..32]) != U256::from(32) {
        return Err(BadAbiBytes("offset is not 32"));
    }
    let len = U256::from_be_slice(&head[32..]);
    if len > U256::from(tail.len()) {
        return Err(BadAbiBytes("length exceeds the data"));
    }
    // `len <= tail.len()`, so it fits in usize and rounding up cannot overflow.
    let len = len.to::<usize>();
    if len.div_ceil(32) * 32 != tail.len() {
        return Err(BadAbiBytes("padding is not minimal"));
    }
    let (content, padding) = tail.split_at(len);
    if padding.iter().any(|b| *b != 0) {
        return Err(BadAbiBytes("non-zero padding"));
    }
    Ok(content)
}

/// Decodes a `TransactionDeposited` log into the deposit transaction it asks for.
///
/// `l1_block_hash` and `log_index` (block-wide) identify the log and make up the source hash.
/// Every log the Portal could not have emitted is rejected with
/// [`ProtocolError::InvalidDeposit`](crate::ProtocolError::InvalidDeposit); nothing panics.
pub fn decode_deposit_log(log: &Log, l1_block_hash: B256, log_index: u64) -> Result<TxDeposit> {
    Ok(decode_deposit_log_data(
        &log.data,
        l1_block_hash,
        log_index,
    )?)
}

/// [`decode_deposit_log`] with the typed reason.
pub fn decode_deposit_log_data(
    log: &LogData,
    l1_block_hash: B256,
    log_index: u64,
) -> Result<TxDeposit, DepositLogError> {
    let [event, from, to, version] = log.topics() else {
        return Err(DepositLogError::TopicCount(log.topics().len()));
    };
    if *event != TRANSACTION_DEPOSITED_TOPIC {
        return Err(DepositLogError::WrongEventTopic);
    }
    if *version != DEPOSIT_EVENT_VERSION_0 {
        return Err(DepositLogError::UnsupportedVersion);
    }
    let from = topic_address(from).ok_or(DepositLogError::BadFromTopic)?;
    let to = topic_address(to).ok_or(DepositLogError::BadToTopic)?;

    let opaque = abi_bytes(&log.data)?;
    if opaque.len() < OPAQUE_DATA_FIXED_LEN {
        return Err(DepositLogError::OpaqueDataTooShort(opaque.len()));
    }
    let (mint, rest) = opaque.split_at(32);
    let (value, rest) = rest.split_at(32);
    let (gas, rest) = rest.split_at(8);
    let (is_creation, input) = rest.split_at(1);

    let mint =
        u128::try_from(U256::from_be_slice(mint)).map_err(|_| DepositLogError::MintOverflow)?;
    let value = U256::from_be_slice(value);
    let mut gas_be = [0u8; 8];
    gas_be.copy_from_slice(gas);
    let to = match is_creation[0] {
        0 => TxKind::Call(to),
        // The Portal reverts with `BadTarget` on a creation with a target, so such a log cannot
        // come from it (op-node would ignore the topic; we keep one encoding per deposit).
        1 if to.is_zero() => TxKind::Create,
        1 => return Err(DepositLogError::CreationWithTarget),
        other => return Err(DepositLogError::BadIsCreation(other)),
    };

    Ok(TxDeposit {
        source_hash: user_deposit_source_hash(l1_block_hash, log_index),
        from,
        to,
        mint,
        value,
        gas_limit: u64::from_be_bytes(gas_be),
        is_system_transaction: false,
        input: Bytes::copy_from_slice(input),
    })
}

/// `abi.encodePacked(uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes data)`.
pub fn encode_opaque_data(
    mint: U256,
    value: U256,
    gas_limit: u64,
    is_creation: bool,
    data: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(OPAQUE_DATA_FIXED_LEN + data.len());
    out.extend_from_slice(&mint.to_be_bytes::<32>());
    out.extend_from_slice(&value.to_be_bytes::<32>());
    out.extend_from_slice(&gas_limit.to_be_bytes());
    out.push(u8::from(is_creation));
    out.extend_from_slice(data);
    out
}

/// The topics and data the Portal emits for `deposit` (its source hash is not part of the log).
/// A creation has the zero address as `to` topic, as the Portal requires.
pub fn deposit_log_data(deposit: &TxDeposit) -> LogData {
    let (to, is_creation) = match deposit.to {
        TxKind::Call(to) => (to, false),
        TxKind::Create => (Address::ZERO, true),
    };
    let opaque = encode_opaque_data(
        U256::from(deposit.mint),
        deposit.value,
        deposit.gas_limit,
        is_creation,
        &deposit.input,
    );
    let padded = opaque.len().div_ceil(32) * 32;
    let mut data = Vec::with_capacity(64 + padded);
    data.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(opaque.len()).to_be_bytes::<32>());
    data.extend_from_slice(&opaque);
    data.resize(64 + padded, 0);
    LogData::new_unchecked(
        alloc::vec![
            TRANSACTION_DEPOSITED_TOPIC,
            deposit.from.into_word(),
            to.into_word(),
            DEPOSIT_EVENT_VERSION_0,
        ],
        data.into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProtocolError;
    use alloy_primitives::{address, bytes, hex};
    use proptest::prelude::*;

    const PORTAL: Address = address!("5FbDB2315678afecb367f032d93F642f64180aa3");
    const L1_HASH: B256 = b256!("1111111111111111111111111111111111111111111111111111111111111111");

    fn deposit(to: TxKind, mint: u128, value: U256, gas_limit: u64, input: Bytes) -> TxDeposit {
        TxDeposit {
            source_hash: user_deposit_source_hash(L1_HASH, 3),
            from: address!("00000000000000000000000000000000000A11CE"),
            to,
            mint,
            value,
            gas_limit,
            is_system_transaction: false,
            input,
        }
    }

    fn sample() -> TxDeposit {
        deposit(
            TxKind::Call(address!("000000000000000000000000000000000000B0B0")),
            7,
            U256::from(5),
            100_000,
            bytes!("deadbeef"),
        )
    }

    fn decode(data: &LogData) -> Result<TxDeposit, DepositLogError> {
        decode_deposit_log_data(data, L1_HASH, 3)
    }

    fn with_data(data: Vec<u8>) -> LogData {
        LogData::new_unchecked(deposit_log_data(&sample()).topics().to_vec(), data.into())
    }

    fn with_topic(i: usize, topic: B256) -> LogData {
        let mut topics = deposit_log_data(&sample()).topics().to_vec();
        topics[i] = topic;
        LogData::new_unchecked(topics, deposit_log_data(&sample()).data)
    }

    #[test]
    fn topic_is_the_event_signature_hash() {
        assert_eq!(
            TRANSACTION_DEPOSITED_TOPIC,
            keccak256("TransactionDeposited(address,address,uint256,bytes)")
        );
    }

    #[test]
    fn source_hashes_follow_the_spec_formula() {
        let hash = b256!("c0ffee0000000000000000000000000000000000000000000000000000000001");
        let inner = keccak256([hash.as_slice(), &U256::from(7).to_be_bytes::<32>()].concat());
        let user = keccak256([&[0u8; 32][..], inner.as_slice()].concat());
        let info = keccak256([&U256::from(1).to_be_bytes::<32>()[..], inner.as_slice()].concat());
        assert_eq!(user_deposit_source_hash(hash, 7), user);
        assert_eq!(l1_info_source_hash(hash, 7), info);
        assert_ne!(user, info);
    }

    /// The hand-assembled vector of `contracts/test/Deposit.t.sol::test_depositEventBytesMatchSpecLayout`:
    /// mint 1 ether, value 0.5 ether, gas 100 000, no creation, data 0xdeadbeef.
    #[test]
    fn decodes_the_portal_forge_vector() {
        let opaque = hex!(
            "0000000000000000000000000000000000000000000000000de0b6b3a7640000"
            "00000000000000000000000000000000000000000000000006f05b59d3b20000"
            "00000000000186a0"
            "00"
            "deadbeef"
        );
        let alice = address!("00000000000000000000000000000000000A11CE");
        let bob = address!("000000000000000000000000000000000000B0B0");
        let mut data = Vec::new();
        data.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
        data.extend_from_slice(&U256::from(opaque.len()).to_be_bytes::<32>());
        data.extend_from_slice(&opaque);
        data.resize(64 + 96, 0);
        let log = Log::new_unchecked(
            PORTAL,
            vec![
                TRANSACTION_DEPOSITED_TOPIC,
                alice.into_word(),
                bob.into_word(),
                B256::ZERO,
            ],
            data.into(),
        );
        let tx = decode_deposit_log(&log, L1_HASH, 9).expect("valid vector");
        assert_eq!(tx.source_hash, user_deposit_source_hash(L1_HASH, 9));
        assert_eq!(tx.from, alice);
        assert_eq!(tx.to, TxKind::Call(bob));
        assert_eq!(tx.mint, 1_000_000_000_000_000_000);
        assert_eq!(tx.value, U256::from(500_000_000_000_000_000u64));
        assert_eq!(tx.gas_limit, 100_000);
        assert!(!tx.is_system_transaction);
        assert_eq!(tx.input, bytes!("deadbeef"));
        assert_eq!(deposit_log_data(&tx), log.data);
    }

    #[test]
    fn creation_deposit_has_create_kind() {
        let tx = deposit(TxKind::Create, 0, U256::ZERO, 100_000, bytes!("6000"));
        let data = deposit_log_data(&tx);
        assert_eq!(data.topics()[2], B256::ZERO);
        assert_eq!(decode(&data), Ok(tx));
    }

    #[test]
    fn creation_with_target_is_rejected() {
        let mut raw = deposit_log_data(&sample()).data.to_vec();
        raw[64 + 72] = 1;
        assert_eq!(
            decode(&with_data(raw)),
            Err(DepositLogError::CreationWithTarget)
        );
    }

    #[test]
    fn wrong_topics_are_rejected() {
        let good = deposit_log_data(&sample());
        for n in [0, 1, 3, 5] {
            let mut topics = good.topics().to_vec();
            topics.resize(n, B256::ZERO);
            let data = LogData::new_unchecked(topics, good.data.clone());
            assert_eq!(decode(&data), Err(DepositLogError::TopicCount(n)));
        }
        assert_eq!(
            decode(&with_topic(0, B256::repeat_byte(1))),
            Err(DepositLogError::WrongEventTopic)
        );
        assert_eq!(
            decode(&with_topic(3, B256::with_last_byte(1))),
            Err(DepositLogError::UnsupportedVersion)
        );
        let mut dirty = B256::ZERO;
        dirty[0] = 1;
        assert_eq!(
            decode(&with_topic(1, dirty)),
            Err(DepositLogError::BadFromTopic)
        );
        assert_eq!(
            decode(&with_topic(2, dirty)),
            Err(DepositLogError::BadToTopic)
        );
        dirty[0] = 0;
        dirty[11] = 0x80;
        assert_eq!(
            decode(&with_topic(1, dirty)),
            Err(DepositLogError::BadFromTopic)
        );
    }

    #[test]
    fn malformed_abi_bytes_are_rejected() {
        let good = deposit_log_data(&sample()).data.to_vec();
        // 64 + 77 bytes of content padded to 96.
        assert_eq!(good.len(), 64 + 96);
        let bad = |data: Vec<u8>| match decode(&with_data(data)) {
            Err(DepositLogError::BadAbiBytes(_)) => {}
            other => panic!("expected BadAbiBytes, got {other:?}"),
        };
        bad(Vec::new());
        bad(good[..63].to_vec());
        // offset 0x40, offset with high garbage
        let mut d = good.clone();
        d[31] = 0x40;
        bad(d);
        let mut d = good.clone();
        d[0] = 1;
        bad(d);
        // length too long, length with high bits, length one short (padding not minimal)
        let mut d = good.clone();
        d[63] = 200;
        bad(d);
        let mut d = good.clone();
        d[32] = 1;
        bad(d);
        let mut d = good.clone();
        d[63] = 77 - 32; // leaves a whole extra word
        bad(d);
        // non-zero padding
        let mut d = good.clone();
        *d.last_mut().expect("non-empty") = 1;
        bad(d);
        // truncated padding, extra word
        bad(good[..good.len() - 1].to_vec());
        let mut d = good.clone();
        d.extend_from_slice(&[0; 32]);
        bad(d);
    }

    #[test]
    fn malformed_opaque_data_is_rejected() {
        let abi = |opaque: &[u8]| {
            let mut d = Vec::new();
            d.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
            d.extend_from_slice(&U256::from(opaque.len()).to_be_bytes::<32>());
            d.extend_from_slice(opaque);
            d.resize(64 + opaque.len().div_ceil(32) * 32, 0);
            with_data(d)
        };
        let good = encode_opaque_data(U256::from(1), U256::from(2), 21_000, false, b"");
        assert!(decode(&abi(&good)).is_ok());
        for len in [0, 1, 32, 72] {
            assert_eq!(
                decode(&abi(&good[..len])),
                Err(DepositLogError::OpaqueDataTooShort(len))
            );
        }
        let big_mint = encode_opaque_data(
            U256::from(u128::MAX) + U256::from(1),
            U256::ZERO,
            21_000,
            false,
            b"",
        );
        assert_eq!(decode(&abi(&big_mint)), Err(DepositLogError::MintOverflow));
        let max_mint = encode_opaque_data(U256::from(u128::MAX), U256::MAX, u64::MAX, false, b"");
        let tx = decode(&abi(&max_mint)).expect("u128::MAX mint fits");
        assert_eq!(
            (tx.mint, tx.value, tx.gas_limit),
            (u128::MAX, U256::MAX, u64::MAX)
        );
        let mut bad_bool = good.clone();
        bad_bool[72] = 2;
        assert_eq!(
            decode(&abi(&bad_bool)),
            Err(DepositLogError::BadIsCreation(2))
        );
    }

    #[test]
    fn protocol_error_wraps_the_reason() {
        let log = Log {
            address: PORTAL,
            data: with_topic(3, B256::with_last_byte(1)),
        };
        let err = decode_deposit_log(&log, L1_HASH, 0).expect_err("version 1");
        assert!(matches!(
            err,
            ProtocolError::InvalidDeposit(DepositLogError::UnsupportedVersion)
        ));
    }

    fn arb_deposit() -> impl Strategy<Value = TxDeposit> {
        (
            any::<[u8; 20]>(),
            proptest::option::of(any::<[u8; 20]>()),
            any::<u128>(),
            any::<[u8; 32]>(),
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..200),
        )
            .prop_map(|(from, to, mint, value, gas_limit, input)| TxDeposit {
                source_hash: B256::ZERO,
                from: from.into(),
                to: to.map_or(TxKind::Create, |a| TxKind::Call(a.into())),
                mint,
                value: U256::from_be_bytes(value),
                gas_limit,
                is_system_transaction: false,
                input: input.into(),
            })
    }

    proptest! {
        #[test]
        fn round_trip(mut tx in arb_deposit(), hash in any::<[u8; 32]>(), index in any::<u64>()) {
            tx.source_hash = user_deposit_source_hash(hash.into(), index);
            let data = deposit_log_data(&tx);
            prop_assert_eq!(decode_deposit_log_data(&data, hash.into(), index), Ok(tx));
        }

        #[test]
        fn arbitrary_logs_never_panic(
            topics in proptest::collection::vec(any::<[u8; 32]>(), 0..6),
            data in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            let log = LogData::new_unchecked(topics.into_iter().map(B256::from).collect(), data.into());
            let _ = decode(&log);
        }

        /// Corrupting one byte of a valid log either fails or yields a deposit that re-encodes to
        /// exactly the corrupted log: the decoder accepts one encoding per deposit.
        #[test]
        fn decoding_is_canonical(tx in arb_deposit(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let good = deposit_log_data(&tx);
            let mut raw: Vec<u8> = good.topics().iter().flat_map(|t| t.0).collect();
            raw.extend_from_slice(&good.data);
            let i = pos.index(raw.len());
            raw[i] = byte;
            let (t, d) = raw.split_at(4 * 32);
            let topics = t.chunks(32).map(B256::from_slice).collect();
            let log = LogData::new_unchecked(topics, Bytes::copy_from_slice(d));
            if let Ok(decoded) = decode(&log) {
                prop_assert_eq!(deposit_log_data(&decoded), log);
            }
        }
    }
}
