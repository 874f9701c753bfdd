//! `cartcast worker`: competes for every partition's lease and runs the
//! single writer of each partition it wins, until its lease is lost.

use std::pin::pin;
use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use cartcast_command_worker::{PartitionWorker, WorkerDeps};
use cartcast_infra::bus::PartitionLeases;
use cartcast_infra::bus::jetstream::{JetStreamBus, PgAdvisoryLeases};
use cartcast_infra::payment::{PaymentGateway, TestGateway};

use crate::process::{Distributed, StopSignal, Work, pause, serve_ops};

pub async fn run(options: Distributed) -> anyhow::Result<()> {
    let stop_signal = StopSignal::install()?;
    let store = Arc::new(options.postgres().await?);
    let bus = Arc::new(options.jetstream().await?);
    let leases = Arc::new(PgAdvisoryLeases::new(&options.postgres_url, options.lease_namespace())?);
    let gateway: Arc<dyn PaymentGateway> = Arc::new(
        TestGateway::open(&options.postgres_url, options.settings.payment_timeout)
            .await
            .context("opening the test payment gateway's ledger")?,
    );
    let partitions = options.settings.partitions;
    let deps = WorkerDeps { store, feed: bus.clone(), gateway, settings: options.settings };

    let work = Work::default();
    for partition in 0..partitions {
        work.tasks.spawn(own_partition(partition, bus.clone(), leases.clone(), deps.clone(), work.stop.clone()));
    }
    info!(partitions, "worker competing for partitions");
    serve_ops(options.http, stop_signal, &work).await?;
    work.drain().await;
    Ok(())
}

/// Acquire `partition`, run its worker while the lease holds, and start over
/// when it is lost — until `stop`.
async fn own_partition(
    partition: u32,
    bus: Arc<JetStreamBus>,
    leases: Arc<PgAdvisoryLeases>,
    deps: WorkerDeps,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        let acquired = tokio::select! {
            () = stop.cancelled() => return,
            lease = leases.acquire(partition) => lease,
        };
        let mut lease = match acquired {
            Ok(lease) => lease,
            Err(e) => {
                warn!(partition, error = %e, "lease not acquired; retrying");
                pause(&stop).await;
                continue;
            }
        };
        let source = match bus.source(partition).await {
            Ok(source) => source,
            Err(e) => {
                warn!(partition, error = %e, "command log not reachable; retrying");
                pause(&stop).await;
                continue;
            }
        };
        let owned = stop.child_token();
        let mut run = pin!(PartitionWorker::new(partition, deps.clone()).run(Box::new(source), owned.clone()));
        let result = tokio::select! {
            result = &mut run => result,
            () = lease.lost() => {
                warn!(partition, "partition lease lost; finishing the current batch");
                owned.cancel();
                run.await
            }
        };
        if let Err(e) = result {
            warn!(partition, error = %e, "partition worker stopped; re-acquiring");
            pause(&stop).await;
        }
    }
}
