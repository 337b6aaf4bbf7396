//! The callback notifier.

use async_trait::async_trait;
use serde_json::Value;
use stratus_core::ports::Notifier;

use crate::client::{HttpClient, redact};

/// Posts callbacks with the client's retries and timeouts. In `detached` mode (local engine) the
/// POST runs in a spawned task and `notify` returns at once; otherwise (a Lambda, which freezes
/// after returning) it is awaited. Failures are logged and never reach the job.
#[derive(Clone)]
pub struct HttpNotifier {
    client: HttpClient,
    detached: bool,
}

impl HttpNotifier {
    /// A notifier over `client`.
    pub fn new(client: HttpClient, detached: bool) -> Self {
        HttpNotifier { client, detached }
    }
}

#[async_trait]
impl Notifier for HttpNotifier {
    async fn notify(&self, uri: &str, body: Value) {
        let client = self.client.clone();
        let uri = uri.to_string();
        let post = async move {
            if let Err(e) = client.post_json(&uri, &body).await {
                tracing::warn!(callback = %redact(&uri), error = %e, "callback not delivered");
            }
        };
        if self.detached {
            tokio::spawn(post);
        } else {
            post.await;
        }
    }
}
