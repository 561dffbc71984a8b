//! The global directory (PRIV-4): which region holds each business. A small
//! table in one home region, shared by every regional stack, holding only a
//! slug, a tenant id and a region name per business: no personal data.
//!
//! A business's data, keys, mail and backups live only in its region's stack.
//! The directory makes slugs unique across regions (a sign-up claims its slug
//! here before writing anything) and lets any region's API send a request for
//! a business elsewhere to the right region (`http::Problem::InRegion`: a 307
//! to that region's address), without reading or holding its data.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use crate::store::StoreError;
use crate::tenancy::{Slug, TenantId};

/// Where a business lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Its tenant id, as text (the directory never hands out a scope).
    pub tenant_id: String,
    /// The region holding its data.
    pub region: String,
}

/// The directory table, reached in its home region.
#[derive(Clone, Debug)]
pub struct Directory {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
}

fn unavailable<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> StoreError {
    move |e| {
        tracing::error!(error = %e, operation = what, "directory unavailable");
        StoreError::Unavailable
    }
}

/// Whether a transaction committed (`false`: a condition refused it).
fn committed<T>(
    out: Result<
        T,
        aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        >,
    >,
) -> Result<bool, StoreError> {
    match out {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_transaction_canceled_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(unavailable("TransactWriteItems")(
            aws_sdk_dynamodb::error::DisplayErrorContext(e),
        )),
    }
}

fn slug_key(slug: &Slug) -> AttributeValue {
    AttributeValue::S(format!("SLUG#{}", slug.as_str()))
}

impl Directory {
    /// `ddb` must be configured for the directory's home region.
    pub fn new(ddb: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { ddb, table }
    }

    /// Claims `slug` for a new business in `region`, held until `expires_at`
    /// (an unverified sign-up's hold) or for good (`None`). `false` when the
    /// slug is another business's, in any region.
    pub async fn claim(
        &self,
        slug: &Slug,
        tenant: &TenantId,
        region: &str,
        expires_at: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut slug_item = Put::builder()
            .table_name(&self.table)
            .item("PK", slug_key(slug))
            .item("tenant_id", AttributeValue::S(tenant.to_string()))
            .item("region", AttributeValue::S(region.to_owned()))
            .condition_expression(
                "attribute_not_exists(PK) OR tenant_id = :t OR (attribute_exists(expires_at) AND expires_at < :now)",
            )
            .expression_attribute_values(":t", AttributeValue::S(tenant.to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()));
        if let Some(at) = expires_at {
            slug_item = slug_item.item("expires_at", AttributeValue::N(at.to_string()));
        }
        let tenant_item = Put::builder()
            .table_name(&self.table)
            .item("PK", AttributeValue::S(format!("TENANT#{tenant}")))
            .item("region", AttributeValue::S(region.to_owned()));
        let built = |p: Put| -> Result<TransactWriteItem, StoreError> {
            Ok(TransactWriteItem::builder().put(p).build())
        };
        let out = self
            .ddb
            .transact_write_items()
            .transact_items(built(
                slug_item.build().map_err(|_| StoreError::Integrity)?,
            )?)
            .transact_items(built(
                tenant_item.build().map_err(|_| StoreError::Integrity)?,
            )?)
            .send()
            .await;
        committed(out)
    }

    /// Keeps the slug for good (the owner verified the business).
    pub async fn keep(&self, slug: &Slug, tenant: &TenantId) -> Result<(), StoreError> {
        let out = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key("PK", slug_key(slug))
            .update_expression("REMOVE expires_at")
            .condition_expression("tenant_id = :t")
            .expression_attribute_values(":t", AttributeValue::S(tenant.to_string()))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            // Not this business's entry (none, or another's): nothing to keep.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable("UpdateItem")(
                aws_sdk_dynamodb::error::DisplayErrorContext(e),
            )),
        }
    }

    /// Gives the slug up (a failed sign-up, a purged business); only the
    /// business holding it can.
    pub async fn release(&self, slug: &Slug, tenant: &TenantId) -> Result<(), StoreError> {
        let out = self
            .ddb
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .delete(
                        aws_sdk_dynamodb::types::Delete::builder()
                            .table_name(&self.table)
                            .key("PK", slug_key(slug))
                            .condition_expression("attribute_not_exists(PK) OR tenant_id = :t")
                            .expression_attribute_values(
                                ":t",
                                AttributeValue::S(tenant.to_string()),
                            )
                            .build()
                            .map_err(|_| StoreError::Integrity)?,
                    )
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .delete(
                        aws_sdk_dynamodb::types::Delete::builder()
                            .table_name(&self.table)
                            .key("PK", AttributeValue::S(format!("TENANT#{tenant}")))
                            .build()
                            .map_err(|_| StoreError::Integrity)?,
                    )
                    .build(),
            )
            .send()
            .await;
        // `false`: someone else's now, nothing of ours to give up.
        committed(out).map(|_| ())
    }

    /// Where the business with `slug` lives, if any holds it now.
    pub async fn placement(&self, slug: &Slug, now: i64) -> Result<Option<Placement>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key("PK", slug_key(slug))
            .send()
            .await
            .map_err(|e| unavailable("GetItem")(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let expired = item
            .get("expires_at")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
            .is_some_and(|at| at < now);
        match (text("tenant_id"), text("region")) {
            (Some(tenant_id), Some(region)) if !expired => {
                Ok(Some(Placement { tenant_id, region }))
            }
            _ => Ok(None),
        }
    }
}

/// The address of the region serving `slug`, when a directory says it is not
/// this one (the caller answers with [`crate::http::Problem::InRegion`]).
pub async fn elsewhere(p: &crate::Platform, slug: &Slug) -> Result<Option<String>, StoreError> {
    let Some(directory) = &p.directory else {
        return Ok(None);
    };
    let Some(placement) = directory.placement(slug, crate::clock::now_unix()).await? else {
        return Ok(None);
    };
    if placement.region == p.config.region {
        return Ok(None);
    }
    Ok(p.config.site_of(&placement.region).map(str::to_owned))
}
