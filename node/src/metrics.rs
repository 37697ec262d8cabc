//! A minimal Prometheus endpoint: every HTTP request on the port gets the current metrics text.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::debug;

use crate::Result;

/// Serves `render()` on `127.0.0.1:port` (0 picks a free port) until the process ends; returns
/// the bound address.
pub async fn serve(
    port: u16,
    render: impl Fn() -> String + Send + Sync + 'static,
) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let render = std::sync::Arc::new(render);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                continue;
            };
            let render = render.clone();
            tokio::spawn(async move {
                // The request itself does not matter; read what came so the client is happy.
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let body = render();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                if let Err(err) = socket.write_all(response.as_bytes()).await {
                    debug!(target: "metrics", %err, "metrics client went away");
                }
            });
        }
    });
    Ok(addr)
}
