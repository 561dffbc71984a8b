//! Typed keys. A [`TenantKey`] can only be made from a [`TenantScope`], so a
//! tenant-less read or write of tenant data does not compile (ISO-2).

use crate::crypto::TokenHash;
use crate::tenancy::{Slug, TenantId, TenantScope, UserId};

/// The kinds of item in a tenant's core partition.
#[derive(Clone, Copy, Debug)]
pub enum Entity<'a> {
    /// The tenant's own profile.
    Profile,
    /// One user.
    User(&'a UserId),
    /// A user's keyed email hash, pointing at the user.
    UserEmail(&'a str),
    /// One audit event, by its sort key.
    AuditEvent(&'a str),
}

/// A tenant's partitions that can be listed.
#[derive(Clone, Copy, Debug)]
pub enum Partition {
    /// The audit log, newest first.
    Audit,
}

impl Partition {
    pub(crate) fn pk(self, scope: &TenantScope) -> String {
        match self {
            Partition::Audit => format!("T#{}#AUDIT", scope.tenant_id()),
        }
    }
}

/// The key of an item of tenant data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantKey {
    tenant: TenantId,
    pk: String,
    sk: String,
}

impl TenantKey {
    /// The key of `entity` inside the scope's tenant.
    pub fn new(scope: &TenantScope, entity: Entity<'_>) -> Self {
        let t = scope.tenant_id();
        let (pk, sk) = match entity {
            Entity::Profile => (format!("T#{t}"), "TENANT".to_owned()),
            Entity::User(u) => (format!("T#{t}"), format!("USER#{u}")),
            Entity::UserEmail(h) => (format!("T#{t}"), format!("EMAIL#{h}")),
            Entity::AuditEvent(sk) => (Partition::Audit.pk(scope), sk.to_owned()),
        };
        Self {
            tenant: t.clone(),
            pk,
            sk,
        }
    }

    /// Partition key.
    pub fn pk(&self) -> String {
        self.pk.clone()
    }

    /// Sort key.
    pub fn sk(&self) -> String {
        self.sk.clone()
    }

    /// Partition key as a borrowed string, for binding ciphertexts to the item.
    pub fn pk_str(&self) -> &str {
        &self.pk
    }

    /// Sort key as a borrowed string.
    pub fn sk_str(&self) -> &str {
        &self.sk
    }

    /// The owning tenant.
    pub fn tenant_id(&self) -> &TenantId {
        &self.tenant
    }
}

/// The named global lookups (ISO-2): the only keys not under a tenant.
#[derive(Clone, Copy, Debug)]
pub enum GlobalKey<'a> {
    /// Public slug to tenant.
    Slug(&'a Slug),
    /// Email verification token hash to tenant and user.
    EmailVerification(&'a TokenHash),
}

impl GlobalKey<'_> {
    pub(crate) fn pk(&self) -> String {
        match self {
            GlobalKey::Slug(s) => format!("SLUG#{}", s.as_str()),
            GlobalKey::EmailVerification(h) => format!("EVT#{}", h.as_str()),
        }
    }

    pub(crate) fn sk(&self) -> String {
        match self {
            GlobalKey::Slug(_) => "SLUG".to_owned(),
            GlobalKey::EmailVerification(_) => "EVT".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tenant_key_starts_with_its_tenant() {
        let scope = TenantScope::for_new_tenant(&TenantId::generate());
        let user = UserId::generate();
        for entity in [
            Entity::Profile,
            Entity::User(&user),
            Entity::UserEmail("abc"),
            Entity::AuditEvent("x"),
        ] {
            let key = TenantKey::new(&scope, entity);
            assert!(
                key.pk().starts_with(&format!("T#{}", scope.tenant_id())),
                "{key:?}"
            );
            assert_eq!(key.tenant_id(), scope.tenant_id());
        }
    }
}
