//! Nodes wake each other: `LISTEN/NOTIFY` on one channel.
//!
//! In: notifications on [`CHANNEL`], from any node (this one too): `runs` when a commit
//! stored new runs, `workflows` when a workflow's lifecycle changed. Out: the store's
//! [`Changes`]: the scheduler is woken, the active-workflow cache is invalidated. The
//! listener has a connection of its own and reconnects when it is lost (after which it
//! announces both, since it may have missed some).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio_postgres::{AsyncMessage, NoTls};

use super::Changes;

/// The channel komo's nodes notify each other on.
pub const CHANNEL: &str = "komo";

/// Starts the listener task.
pub(super) fn listen(config: tokio_postgres::Config, store: String, changes: Arc<Changes>) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = listen_once(&config, &changes).await {
                tracing::warn!(store = %store, error = %e, "lost the store's notifications; reconnecting");
            }
            // Whatever was announced meanwhile is taken as announced.
            changes.workflows.fetch_add(1, Ordering::Relaxed);
            changes.runs.notify_one();
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
}

async fn listen_once(
    config: &tokio_postgres::Config,
    changes: &Changes,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (sender, mut messages) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(message)) => {
                    if sender.send(message).is_err() {
                        return Ok(());
                    }
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    while let Some(message) = messages.recv().await {
        if let AsyncMessage::Notification(n) = message {
            match n.payload() {
                "workflows" => {
                    // A resumed workflow's parked runs may be due: look at once.
                    changes.workflows.fetch_add(1, Ordering::Relaxed);
                    changes.runs.notify_one();
                }
                _ => changes.runs.notify_one(),
            }
        }
    }
    drop(client);
    match driver.await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}
