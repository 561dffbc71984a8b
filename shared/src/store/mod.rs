//! The single DynamoDB table (ISO-1, ISO-2, ISO-4).
//!
//! # Layout
//! Every item has string keys `PK` and `SK`, an `expires_at` number where it
//! expires (the table's TTL attribute), and a `tenant_id` attribute.
//!
//! Tenant data (keys always begin with `T#<tenant_id>`, 26 fixed characters):
//!
//! | item | PK | SK |
//! |---|---|---|
//! | tenant profile | `T#<tenant>` | `TENANT` |
//! | user | `T#<tenant>` | `USER#<user>` |
//! | user by keyed email hash | `T#<tenant>` | `EMAIL#<hmac>` |
//! | audit event | `T#<tenant>#AUDIT` | `<rfc3339>#<random>` |
//!
//! Named global lookups, the only items whose key does not start with a
//! tenant. Each holds the minimal pointer (a tenant id, and a user id where the
//! token belongs to a user) and nothing else:
//!
//! | lookup | PK | SK |
//! |---|---|---|
//! | tenant by public slug | `SLUG#<slug>` | `SLUG` |
//! | email verification token | `EVT#<sha256(token)>` | `EVT` |
//!
//! # Access patterns
//! - resolve a slug to a tenant: one GetItem on the slug pointer;
//! - read a tenant item: GetItem by typed key, tenant attribute verified;
//! - list a tenant's audit events newest first: Query on `T#<tenant>#AUDIT`;
//! - sign-up and verification: one TransactWriteItems with conditions.
//!
//! Nothing outside this module writes a key or an expression string; expressions
//! are built here with placeholders only.

mod item;
mod keys;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

pub use item::{Attrs, Record};
pub use keys::{Entity, GlobalKey, Partition, TenantKey};

use crate::tenancy::{ResolvedTenant, Slug, TenantId, TenantScope, UserId};

/// Attribute that names the owning tenant on every item (ISO-1).
pub const TENANT_ATTR: &str = "tenant_id";
/// The table's TTL attribute; readers also treat a past value as absent.
pub const EXPIRES_ATTR: &str = "expires_at";

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write's condition did not hold; nothing was written.
    #[error("condition failed")]
    Conflict,
    /// DynamoDB could not be reached or refused the call.
    #[error("table unavailable")]
    Unavailable,
    /// An item came back that does not belong to the scope that asked (ISO-4),
    /// or is malformed. Logged; never returned to a client.
    #[error("integrity violation")]
    Integrity,
}

/// A guard on a write.
#[derive(Clone, Copy, Debug)]
pub enum Condition {
    /// Write unconditionally.
    None,
    /// The item must not exist yet.
    NotExists,
    /// The item must exist.
    Exists,
    /// The item must exist and its `expires_at` must be later than this time.
    ExistsUnexpiredAt(i64),
}

/// One write in a transaction.
#[derive(Debug)]
pub enum Write<'a> {
    /// Create or replace a tenant item.
    Put(TenantKey, Attrs, Condition),
    /// Set attributes on an existing tenant item.
    Update(TenantKey, Attrs, Condition),
    /// Create a global pointer to a tenant.
    PutPointer(GlobalKey<'a>, TenantId, Attrs, Condition),
    /// Remove a global pointer.
    DeletePointer(GlobalKey<'a>, Condition),
}

/// What an email verification token points at.
#[derive(Clone, Debug)]
pub struct VerificationPointer {
    /// The tenant the token was issued for.
    pub tenant: ResolvedTenant,
    /// The user whose email it verifies.
    pub user_id: UserId,
    /// When the token stops working.
    pub expires_at: i64,
}

/// The table, reached through typed keys only.
#[derive(Clone, Debug)]
pub struct Store {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
}

fn unavailable<E: std::error::Error + 'static>(op: &'static str) -> impl FnOnce(E) -> StoreError {
    move |e| {
        tracing::error!(operation = op, error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), "dynamodb call failed");
        StoreError::Unavailable
    }
}

impl Store {
    /// A store over `table`.
    pub fn new(ddb: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { ddb, table }
    }

    /// Reads one tenant item, refusing anything whose tenant attribute is not the
    /// scope's (ISO-4). Expired items read as absent.
    pub async fn get(
        &self,
        scope: &TenantScope,
        key: &TenantKey,
    ) -> Result<Option<Record>, StoreError> {
        match self.get_raw(key.pk(), key.sk()).await? {
            None => Ok(None),
            Some(record) => verified(scope, record),
        }
    }

    async fn get_raw(&self, pk: String, sk: String) -> Result<Option<Record>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable("GetItem"))?;
        Ok(out.item.map(Record::from_item))
    }

    /// Lists one partition of a tenant, newest sort key first.
    pub async fn list(
        &self,
        scope: &TenantScope,
        partition: Partition,
        limit: i32,
    ) -> Result<Vec<Record>, StoreError> {
        let out = self
            .ddb
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", "PK")
            .expression_attribute_values(":pk", AttributeValue::S(partition.pk(scope)))
            .scan_index_forward(false)
            .limit(limit)
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable("Query"))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| verified(scope, Record::from_item(item)).transpose())
            .collect()
    }

    /// Resolves a public slug to its tenant through the named slug lookup.
    pub async fn resolve_slug(&self, slug: &Slug) -> Result<Option<ResolvedTenant>, StoreError> {
        let Some(record) = self.get_pointer(&GlobalKey::Slug(slug)).await? else {
            return Ok(None);
        };
        Ok(Some(ResolvedTenant::from_store(record.tenant_id()?)))
    }

    /// Resolves an email verification token hash through its named lookup.
    pub async fn email_verification(
        &self,
        token: &crate::crypto::TokenHash,
    ) -> Result<Option<VerificationPointer>, StoreError> {
        let Some(record) = self
            .get_pointer(&GlobalKey::EmailVerification(token))
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(VerificationPointer {
            tenant: ResolvedTenant::from_store(record.tenant_id()?),
            user_id: record
                .string("user_id")?
                .parse()
                .map_err(|_| StoreError::Integrity)?,
            expires_at: record.number(EXPIRES_ATTR)?,
        }))
    }

    async fn get_pointer(&self, key: &GlobalKey<'_>) -> Result<Option<Record>, StoreError> {
        let now = crate::clock::now_unix();
        Ok(self
            .get_raw(key.pk(), key.sk())
            .await?
            .filter(|r| !r.expired_at(now)))
    }

    /// Applies all writes atomically, or none of them.
    pub async fn transact(&self, writes: Vec<Write<'_>>) -> Result<(), StoreError> {
        let items = writes
            .into_iter()
            .map(|w| self.transact_item(w))
            .collect::<Result<Vec<_>, _>>()?;
        match self
            .ddb
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_transaction_canceled_exception()) =>
            {
                Err(StoreError::Conflict)
            }
            Err(e) => Err(unavailable("TransactWriteItems")(e)),
        }
    }

    fn put(
        &self,
        item: HashMap<String, AttributeValue>,
        cond: Condition,
    ) -> Result<TransactWriteItem, StoreError> {
        let (expr, names, values) = condition(cond);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(expr)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::None)
            .build()
            .map_err(|_| StoreError::Integrity)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn transact_item(&self, write: Write<'_>) -> Result<TransactWriteItem, StoreError> {
        let built = match write {
            Write::Put(key, attrs, cond) => {
                self.put(attrs.into_item(key.pk(), key.sk(), key.tenant_id()), cond)?
            }
            Write::PutPointer(key, tenant, attrs, cond) => {
                self.put(attrs.into_item(key.pk(), key.sk(), &tenant), cond)?
            }
            Write::Update(key, attrs, cond) => {
                let (cond_expr, mut names, mut values) = condition(cond);
                let mut names_map = names.take().unwrap_or_default();
                let mut values_map = values.take().unwrap_or_default();
                // The tenant attribute must match too: an update can never touch
                // another tenant's item even if a key were wrong (ISO-4).
                names_map.insert("#tenant".into(), TENANT_ATTR.into());
                values_map.insert(
                    ":tenant".into(),
                    AttributeValue::S(key.tenant_id().as_str().into()),
                );
                let mut sets = Vec::new();
                for (i, (name, value)) in attrs.into_pairs().into_iter().enumerate() {
                    names_map.insert(format!("#u{i}"), name);
                    values_map.insert(format!(":u{i}"), value);
                    sets.push(format!("#u{i} = :u{i}"));
                }
                let guard = match cond_expr {
                    Some(c) => format!("({c}) AND #tenant = :tenant"),
                    None => "attribute_exists(PK) AND #tenant = :tenant".to_owned(),
                };
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(&self.table)
                            .set_key(Some(key_map(key.pk(), key.sk())))
                            .update_expression(format!("SET {}", sets.join(", ")))
                            .condition_expression(guard)
                            .set_expression_attribute_names(Some(names_map))
                            .set_expression_attribute_values(Some(values_map))
                            .build()
                            .map_err(|_| StoreError::Integrity)?,
                    )
                    .build()
            }
            Write::DeletePointer(key, cond) => {
                let (expr, names, values) = condition(cond);
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(&self.table)
                            .set_key(Some(key_map(key.pk(), key.sk())))
                            .set_condition_expression(expr)
                            .set_expression_attribute_names(names)
                            .set_expression_attribute_values(values)
                            .build()
                            .map_err(|_| StoreError::Integrity)?,
                    )
                    .build()
            }
        };
        Ok(built)
    }
}

type Names = Option<HashMap<String, String>>;
type Values = Option<HashMap<String, AttributeValue>>;

fn condition(cond: Condition) -> (Option<String>, Names, Values) {
    match cond {
        Condition::None => (None, None, None),
        Condition::NotExists => (Some("attribute_not_exists(PK)".into()), None, None),
        Condition::Exists => (Some("attribute_exists(PK)".into()), None, None),
        Condition::ExistsUnexpiredAt(now) => (
            Some("attribute_exists(PK) AND #exp > :now".into()),
            Some(HashMap::from([("#exp".into(), EXPIRES_ATTR.into())])),
            Some(HashMap::from([(
                ":now".into(),
                AttributeValue::N(now.to_string()),
            )])),
        ),
    }
}

fn key_map(pk: String, sk: String) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("PK".into(), AttributeValue::S(pk)),
        ("SK".into(), AttributeValue::S(sk)),
    ])
}

/// Defence in depth (ISO-4): whatever the key said, the item must name the
/// scope's tenant. A mismatch is logged as an integrity violation and never
/// returned.
fn verified(scope: &TenantScope, record: Record) -> Result<Option<Record>, StoreError> {
    let owner = record.tenant_id().ok();
    if owner.as_ref() != Some(scope.tenant_id()) {
        tracing::error!(
            scope_tenant = %scope.tenant_id(),
            "store returned an item whose tenant attribute does not match the scope"
        );
        return Err(StoreError::Integrity);
    }
    if record.expired_at(crate::clock::now_unix()) {
        return Ok(None);
    }
    Ok(Some(record))
}
