//! Blocks: Ethereum's header with Sprout's transactions, and their RLP form.

use alloc::vec::Vec;
use alloy_consensus::Header;
use alloy_eips::eip4895::Withdrawal;
use alloy_primitives::B256;
use alloy_rlp::{Decodable, Encodable, Header as RlpHeader};

use crate::tx::SproutTx;

/// A block body: transactions, (always empty after the merge) ommers, and withdrawals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockBody {
    /// Transactions in order.
    pub transactions: Vec<SproutTx>,
    /// Uncle headers; a post-merge block must have none.
    pub ommers: Vec<Header>,
    /// EIP-4895 withdrawals (`Some` from Shanghai on; always empty on L2).
    pub withdrawals: Option<Vec<Withdrawal>>,
}

/// A full block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The header.
    pub header: Header,
    /// The body.
    pub body: BlockBody,
}

impl Block {
    /// The block hash (keccak of the RLP header), computed.
    pub fn hash_slow(&self) -> B256 {
        self.header.hash_slow()
    }

    fn payload_len(&self) -> usize {
        let mut len =
            self.header.length() + self.body.transactions.length() + self.body.ommers.length();
        if let Some(w) = &self.body.withdrawals {
            len += w.length();
        }
        len
    }
}

impl Encodable for Block {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        RlpHeader {
            list: true,
            payload_length: self.payload_len(),
        }
        .encode(out);
        self.header.encode(out);
        self.body.transactions.encode(out);
        self.body.ommers.encode(out);
        if let Some(w) = &self.body.withdrawals {
            w.encode(out);
        }
    }

    fn length(&self) -> usize {
        let payload_length = self.payload_len();
        RlpHeader {
            list: true,
            payload_length,
        }
        .length()
            + payload_length
    }
}

impl Decodable for Block {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        let rlp = RlpHeader::decode(buf)?;
        if !rlp.list {
            return Err(alloy_rlp::Error::UnexpectedString);
        }
        if buf.len() < rlp.payload_length {
            return Err(alloy_rlp::Error::InputTooShort);
        }
        let (mut body, rest) = buf.split_at(rlp.payload_length);
        let header = Header::decode(&mut body)?;
        let transactions = Vec::<SproutTx>::decode(&mut body)?;
        let ommers = Vec::<Header>::decode(&mut body)?;
        let withdrawals = if body.is_empty() {
            None
        } else {
            Some(Vec::<Withdrawal>::decode(&mut body)?)
        };
        if !body.is_empty() {
            return Err(alloy_rlp::Error::UnexpectedLength);
        }
        *buf = rest;
        Ok(Self {
            header,
            body: BlockBody {
                transactions,
                ommers,
                withdrawals,
            },
        })
    }
}
