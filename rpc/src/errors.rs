//! RPC errors with geth's codes and messages.

use alloy_primitives::Bytes;
use jsonrpsee::types::ErrorObjectOwned;
use sprout_storage::StorageError;

/// An error returned to an RPC client.
#[derive(Debug)]
pub enum RpcError {
    /// -32602: the parameters are wrong.
    InvalidParams(String),
    /// -32000: the server could not do it (geth's generic code), with geth's message.
    Server(String),
    /// 3: execution reverted, with the revert data.
    Reverted(Bytes),
    /// -32603: something broke inside the node.
    Internal(String),
}

impl RpcError {
    /// Wraps an internal failure.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }
}

fn revert_reason(data: &[u8]) -> Option<String> {
    // Error(string) selector 0x08c379a0.
    if data.len() < 4 + 64 || data[..4] != [0x08, 0xc3, 0x79, 0xa0] {
        return None;
    }
    let body = &data[4..];
    let len = alloy_primitives::U256::from_be_slice(&body[32..64]);
    let len: usize = len.try_into().ok()?;
    let text = body.get(64..64usize.checked_add(len)?)?;
    String::from_utf8(text.to_vec()).ok()
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(err: RpcError) -> Self {
        match err {
            RpcError::InvalidParams(msg) => ErrorObjectOwned::owned(-32602, msg, None::<()>),
            RpcError::Server(msg) => ErrorObjectOwned::owned(-32000, msg, None::<()>),
            RpcError::Internal(msg) => ErrorObjectOwned::owned(-32603, msg, None::<()>),
            RpcError::Reverted(data) => {
                let msg = match revert_reason(&data) {
                    Some(reason) => format!("execution reverted: {reason}"),
                    None => "execution reverted".to_string(),
                };
                ErrorObjectOwned::owned(3, msg, Some(data))
            }
        }
    }
}

impl From<StorageError> for RpcError {
    fn from(err: StorageError) -> Self {
        match err {
            // The caller asked for something this node no longer keeps: geth's -32000, as for
            // geth's own "missing trie node" of a pruned state.
            err @ StorageError::StatePruned { .. } => Self::Server(err.to_string()),
            err => Self::Internal(err.to_string()),
        }
    }
}

impl From<sprout_protocol::ProtocolError> for RpcError {
    fn from(err: sprout_protocol::ProtocolError) -> Self {
        Self::Internal(err.to_string())
    }
}

/// Result type of RPC handlers.
pub type RpcResult<T> = Result<T, RpcError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revert_reason_decodes_error_string() {
        let data = alloy_primitives::hex::decode(
            "08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000000568656c6c6f000000000000000000000000000000000000000000000000000000",
        )
        .expect("hex");
        assert_eq!(revert_reason(&data).as_deref(), Some("hello"));
        assert_eq!(revert_reason(&data[..10]), None);
    }
}
