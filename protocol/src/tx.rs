//! Transactions: Ethereum's signed types 0–4 and the OP-style deposit (type `0x7E`).

use alloc::vec::Vec;
use alloy_consensus::{Transaction as _, TxEnvelope, Typed2718, transaction::SignerRecoverable};
use alloy_eips::eip2718::{Decodable2718, Eip2718Error, Encodable2718};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_rlp::{Buf, BufMut, Decodable, Encodable, Header};
use revm::context::TxEnv;

use crate::{ProtocolError, Result};

/// The EIP-2718 type byte of deposit transactions.
pub const DEPOSIT_TX_TYPE: u8 = 0x7E;

/// A deposit transaction, created by the protocol from L1 data and never signed.
///
/// Fields and RLP order follow the OP Stack deposits spec:
/// `0x7E || rlp([sourceHash, from, to, mint, value, gas, isSystemTx, data])`; the RLP list
/// (without the type byte) is alloy-rlp's derive.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    alloy_rlp::RlpEncodable,
    alloy_rlp::RlpDecodable,
)]
#[serde(rename_all = "camelCase")]
pub struct TxDeposit {
    /// Uniquely identifies the deposit's origin on L1.
    pub source_hash: B256,
    /// The (possibly aliased) L1 sender.
    pub from: Address,
    /// The L2 recipient, or `Create`.
    pub to: TxKind,
    /// ETH minted on L2 before execution.
    pub mint: u128,
    /// ETH moved from `from` to `to`.
    pub value: U256,
    /// Gas limit of the L2 execution.
    pub gas_limit: u64,
    /// Whether this is a system deposit (always false since Regolith).
    pub is_system_transaction: bool,
    /// Calldata or init code.
    pub input: Bytes,
}

impl TxDeposit {
    /// `0x7E || rlp([...])`.
    pub fn encoded_2718(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.length());
        out.push(DEPOSIT_TX_TYPE);
        self.encode(&mut out);
        out
    }

    /// The transaction hash: `keccak256(0x7E || rlp([...]))`.
    pub fn hash(&self) -> B256 {
        keccak256(self.encoded_2718())
    }
}

/// Any transaction a Sprout block can hold.
#[allow(clippy::large_enum_variant)] // the common case is the large one; boxing it costs every tx
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SproutTx {
    /// A signed Ethereum transaction (types 0–4).
    Ethereum(TxEnvelope),
    /// A deposit (type `0x7E`).
    Deposit(TxDeposit),
}

impl SproutTx {
    /// The EIP-2718 type byte (0 for legacy).
    pub fn tx_type(&self) -> u8 {
        match self {
            Self::Ethereum(tx) => tx.ty(),
            Self::Deposit(_) => DEPOSIT_TX_TYPE,
        }
    }

    /// The transaction hash.
    pub fn hash(&self) -> B256 {
        match self {
            Self::Ethereum(tx) => *tx.tx_hash(),
            Self::Deposit(tx) => tx.hash(),
        }
    }

    /// The canonical EIP-2718 bytes (what `eth_sendRawTransaction` takes and hashes cover).
    pub fn encoded_2718(&self) -> Vec<u8> {
        match self {
            Self::Ethereum(tx) => tx.encoded_2718(),
            Self::Deposit(tx) => tx.encoded_2718(),
        }
    }

    /// The encoding a signature covers (`type || rlp(fields)`, the EIP-155 form for legacy);
    /// for deposits, which are unsigned, the full encoding.
    pub fn unsigned_encoding(&self) -> Vec<u8> {
        use alloy_consensus::SignableTransaction;
        let mut out = Vec::new();
        match self {
            Self::Ethereum(TxEnvelope::Legacy(tx)) => tx.tx().encode_for_signing(&mut out),
            Self::Ethereum(TxEnvelope::Eip2930(tx)) => tx.tx().encode_for_signing(&mut out),
            Self::Ethereum(TxEnvelope::Eip1559(tx)) => tx.tx().encode_for_signing(&mut out),
            Self::Ethereum(TxEnvelope::Eip4844(tx)) => tx.tx().encode_for_signing(&mut out),
            Self::Ethereum(TxEnvelope::Eip7702(tx)) => tx.tx().encode_for_signing(&mut out),
            Self::Deposit(tx) => out = tx.encoded_2718(),
        }
        out
    }

    /// Decodes canonical EIP-2718 bytes; every byte must be consumed.
    pub fn decode_2718_exact(bytes: &[u8]) -> Result<Self> {
        let mut buf = bytes;
        let tx = match buf.first() {
            None => return Err(alloy_rlp::Error::InputTooShort.into()),
            Some(&DEPOSIT_TX_TYPE) => {
                buf.advance(1);
                Self::Deposit(TxDeposit::decode(&mut buf)?)
            }
            Some(&ty) if ty > 4 && ty < 0xc0 => return Err(ProtocolError::UnsupportedTxType(ty)),
            Some(_) => match TxEnvelope::decode_2718(&mut buf).map_err(map_2718)? {
                // alloy's decoder also takes EIP-4844's network form; a block never holds it.
                TxEnvelope::Eip4844(tx) if tx.tx().sidecar().is_some() => {
                    return Err(ProtocolError::BlobSidecarAttached);
                }
                tx => Self::Ethereum(tx),
            },
        };
        if !buf.is_empty() {
            return Err(alloy_rlp::Error::UnexpectedLength.into());
        }
        Ok(tx)
    }

    /// Recovers the sender (deposits carry theirs) and caches the hash.
    pub fn recover(self) -> Result<RecoveredTx> {
        let sender = match &self {
            Self::Ethereum(tx) => tx
                .recover_signer()
                .map_err(|_| ProtocolError::InvalidSignature)?,
            Self::Deposit(tx) => tx.from,
        };
        let hash = self.hash();
        Ok(RecoveredTx {
            tx: self,
            sender,
            hash,
        })
    }

    /// The deposit, if this is one.
    pub fn as_deposit(&self) -> Option<&TxDeposit> {
        match self {
            Self::Deposit(tx) => Some(tx),
            Self::Ethereum(_) => None,
        }
    }

    /// Gas limit.
    pub fn gas_limit(&self) -> u64 {
        match self {
            Self::Ethereum(tx) => tx.gas_limit(),
            Self::Deposit(tx) => tx.gas_limit,
        }
    }

    /// Nonce (deposits have none; they report 0).
    pub fn nonce(&self) -> u64 {
        match self {
            Self::Ethereum(tx) => tx.nonce(),
            Self::Deposit(_) => 0,
        }
    }

    /// The recipient or create.
    pub fn kind(&self) -> TxKind {
        match self {
            Self::Ethereum(tx) => tx.kind(),
            Self::Deposit(tx) => tx.to,
        }
    }

    /// Value transferred.
    pub fn value(&self) -> U256 {
        match self {
            Self::Ethereum(tx) => tx.value(),
            Self::Deposit(tx) => tx.value,
        }
    }

    /// Calldata.
    pub fn input(&self) -> &Bytes {
        match self {
            Self::Ethereum(tx) => tx.input(),
            Self::Deposit(tx) => &tx.input,
        }
    }

    /// Max fee per gas (gas price for legacy and 2930; zero for deposits).
    pub fn max_fee_per_gas(&self) -> u128 {
        match self {
            Self::Ethereum(tx) => tx.max_fee_per_gas(),
            Self::Deposit(_) => 0,
        }
    }

    /// Max priority fee per gas (gas price for legacy and 2930; zero for deposits).
    pub fn max_priority_fee_per_gas(&self) -> u128 {
        match self {
            Self::Ethereum(tx) => tx
                .max_priority_fee_per_gas()
                .unwrap_or_else(|| tx.max_fee_per_gas()),
            Self::Deposit(_) => 0,
        }
    }

    /// The price per gas this transaction pays under `base_fee`.
    pub fn effective_gas_price(&self, base_fee: u64) -> u128 {
        match self {
            Self::Ethereum(tx) => tx.effective_gas_price(Some(base_fee)),
            Self::Deposit(_) => 0,
        }
    }

    /// Chain id, if the transaction names one.
    pub fn chain_id(&self) -> Option<u64> {
        match self {
            Self::Ethereum(tx) => tx.chain_id(),
            Self::Deposit(_) => None,
        }
    }
}

fn map_2718(err: Eip2718Error) -> ProtocolError {
    match err {
        Eip2718Error::UnexpectedType(ty) => ProtocolError::UnsupportedTxType(ty),
        Eip2718Error::RlpError(err) => ProtocolError::Rlp(err),
        _ => ProtocolError::Rlp(alloy_rlp::Error::Custom("invalid eip-2718 envelope")),
    }
}

impl Encodable for SproutTx {
    /// Block-body form: legacy as a list, typed transactions as an RLP string of their 2718 bytes.
    fn encode(&self, out: &mut dyn BufMut) {
        match self {
            Self::Ethereum(tx) => tx.encode(out),
            Self::Deposit(tx) => {
                let bytes = tx.encoded_2718();
                bytes.as_slice().encode(out);
            }
        }
    }

    fn length(&self) -> usize {
        match self {
            Self::Ethereum(tx) => tx.length(),
            Self::Deposit(tx) => {
                let len = 1 + tx.length();
                Header {
                    list: false,
                    payload_length: len,
                }
                .length()
                    + len
            }
        }
    }
}

impl Decodable for SproutTx {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        let first = *buf.first().ok_or(alloy_rlp::Error::InputTooShort)?;
        if first >= 0xc0 {
            return Ok(Self::Ethereum(TxEnvelope::decode(buf)?));
        }
        let bytes = Header::decode_bytes(buf, false)?;
        Self::decode_2718_exact(bytes).map_err(|err| match err {
            ProtocolError::Rlp(err) => err,
            ProtocolError::BlobSidecarAttached => {
                alloy_rlp::Error::Custom("blob transaction in its network form")
            }
            _ => alloy_rlp::Error::Custom("unsupported transaction type"),
        })
    }
}

/// A transaction with its sender recovered and its hash computed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredTx {
    /// The transaction.
    pub tx: SproutTx,
    /// Its sender.
    pub sender: Address,
    /// Its hash.
    pub hash: B256,
}

impl RecoveredTx {
    /// Decodes and recovers canonical EIP-2718 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        SproutTx::decode_2718_exact(bytes)?.recover()
    }

    /// The revm transaction environment for this transaction.
    pub fn tx_env(&self) -> TxEnv {
        match &self.tx {
            SproutTx::Ethereum(tx) => {
                let mut env = TxEnv {
                    tx_type: tx.ty(),
                    caller: self.sender,
                    gas_limit: tx.gas_limit(),
                    gas_price: tx.max_fee_per_gas(),
                    kind: tx.kind(),
                    value: tx.value(),
                    data: tx.input().clone(),
                    nonce: tx.nonce(),
                    chain_id: tx.chain_id(),
                    access_list: tx.access_list().cloned().unwrap_or_default(),
                    gas_priority_fee: tx.max_priority_fee_per_gas(),
                    blob_hashes: tx
                        .blob_versioned_hashes()
                        .map(<[B256]>::to_vec)
                        .unwrap_or_default(),
                    max_fee_per_blob_gas: tx.max_fee_per_blob_gas().unwrap_or_default(),
                    ..Default::default()
                };
                if tx.ty() == 0 || tx.ty() == 1 {
                    env.gas_priority_fee = None;
                }
                if let Some(auths) = tx.authorization_list() {
                    env.set_signed_authorization(auths.to_vec());
                }
                env
            }
            SproutTx::Deposit(tx) => TxEnv {
                tx_type: DEPOSIT_TX_TYPE,
                caller: self.sender,
                gas_limit: tx.gas_limit,
                gas_price: 0,
                kind: tx.to,
                value: tx.value,
                data: tx.input.clone(),
                nonce: 0,
                chain_id: None,
                ..Default::default()
            },
        }
    }
}

impl RecoveredTx {
    /// The intrinsic gas of this transaction under `spec`, including the EIP-7623 floor.
    pub fn intrinsic_gas(&self, spec: revm::primitives::hardfork::SpecId) -> u64 {
        let env = self.tx_env();
        let gas =
            revm::context_interface::cfg::gas::calculate_initial_tx_gas_for_tx(&env, spec, None);
        (gas.initial_regular_gas + gas.initial_state_gas).max(gas.floor_gas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn deposit() -> TxDeposit {
        TxDeposit {
            source_hash: B256::repeat_byte(7),
            from: Address::repeat_byte(1),
            to: TxKind::Call(Address::repeat_byte(2)),
            mint: 10,
            value: U256::from(3),
            gas_limit: 100_000,
            is_system_transaction: false,
            input: Bytes::from_static(&[1, 2, 3]),
        }
    }

    #[test]
    fn deposit_roundtrips_through_2718_and_block_body_forms() {
        let tx = SproutTx::Deposit(deposit());
        let raw = tx.encoded_2718();
        assert_eq!(raw[0], DEPOSIT_TX_TYPE);
        assert_eq!(SproutTx::decode_2718_exact(&raw).expect("decodes"), tx);
        let mut body = Vec::new();
        tx.encode(&mut body);
        assert_eq!(body.len(), tx.length());
        assert_eq!(SproutTx::decode(&mut body.as_slice()).expect("decodes"), tx);
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut raw = SproutTx::Deposit(deposit()).encoded_2718();
        raw.push(0);
        assert!(SproutTx::decode_2718_exact(&raw).is_err());
    }

    #[test]
    fn a_blob_transaction_in_its_network_form_is_rejected_alone_and_in_a_block() {
        use alloy_consensus::{Signed, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar};
        use alloy_eips::{
            eip4844::{Blob, BlobTransactionSidecar, Bytes48},
            eip7594::BlobTransactionSidecarVariant,
        };
        let tx = TxEip4844 {
            chain_id: 1,
            to: Address::repeat_byte(2),
            blob_versioned_hashes: alloc::vec![B256::repeat_byte(1)],
            ..Default::default()
        };
        let sidecar = BlobTransactionSidecarVariant::Eip4844(BlobTransactionSidecar {
            blobs: alloc::vec![Blob::default()],
            commitments: alloc::vec![Bytes48::default()],
            proofs: alloc::vec![Bytes48::default()],
        });
        let sign = |variant: TxEip4844Variant| {
            SproutTx::Ethereum(TxEnvelope::Eip4844(Signed::new_unchecked(
                variant,
                alloy_primitives::Signature::test_signature(),
                B256::ZERO,
            )))
        };
        let canonical = sign(TxEip4844Variant::TxEip4844(tx.clone())).encoded_2718();
        let network = sign(TxEip4844Variant::TxEip4844WithSidecar(
            TxEip4844WithSidecar::from_tx_and_sidecar(tx, sidecar),
        ))
        .encoded_2718();
        assert!(
            network.len() > canonical.len() + 131_072,
            "the sidecar is encoded"
        );
        assert!(SproutTx::decode_2718_exact(&canonical).is_ok());
        assert!(matches!(
            SproutTx::decode_2718_exact(&network),
            Err(ProtocolError::BlobSidecarAttached)
        ));
        // In a block body (an RLP string holding the typed bytes), the same.
        let mut body = Vec::new();
        alloy_rlp::Header {
            list: false,
            payload_length: network.len(),
        }
        .encode(&mut body);
        body.extend_from_slice(&network);
        assert!(SproutTx::decode(&mut body.as_slice()).is_err());
    }

    #[test]
    fn unknown_type_is_rejected() {
        assert!(matches!(
            SproutTx::decode_2718_exact(&[0x05, 0xc0]),
            Err(ProtocolError::UnsupportedTxType(5)) | Err(ProtocolError::Rlp(_))
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = RecoveredTx::decode(&bytes);
            let _ = SproutTx::decode(&mut bytes.as_slice());
        }

        #[test]
        fn deposit_roundtrip(mint in any::<u128>(), gas in any::<u64>(), data in proptest::collection::vec(any::<u8>(), 0..300), create in any::<bool>()) {
            let mut d = deposit();
            d.mint = mint;
            d.gas_limit = gas;
            d.input = data.into();
            if create { d.to = TxKind::Create; }
            let tx = SproutTx::Deposit(d);
            prop_assert_eq!(SproutTx::decode_2718_exact(&tx.encoded_2718()).expect("decodes"), tx);
        }
    }
}
