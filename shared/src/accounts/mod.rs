//! Tenants and their users: sign-up, email verification, the public profile.

mod signup;
mod verification;

pub use signup::{register_tenant, NewTenant, Registered, SignupInput};
pub use verification::{public_profile, verify_email, PublicProfile, Verified};

use crate::crypto::CryptoError;
use crate::email::MailError;
use crate::store::StoreError;

/// How long an email verification link works.
pub const VERIFICATION_TTL_SECS: i64 = 24 * 3600;

/// Why an account operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The slug already belongs to a tenant.
    #[error("slug taken")]
    SlugTaken,
    /// A link token is unknown, used or expired.
    #[error("invalid token")]
    InvalidToken,
    /// A dependency is unavailable; nothing was written.
    #[error("dependency unavailable")]
    Unavailable,
    /// An integrity violation or bug; logged where it happened.
    #[error("internal error")]
    Internal,
}

impl From<StoreError> for AccountsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable => Self::Unavailable,
            StoreError::Conflict | StoreError::Integrity => Self::Internal,
        }
    }
}

impl From<CryptoError> for AccountsError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Unavailable => Self::Unavailable,
            CryptoError::Undecryptable | CryptoError::MalformedHash => Self::Internal,
        }
    }
}

impl From<MailError> for AccountsError {
    fn from(e: MailError) -> Self {
        match e {
            MailError::SigningUnavailable | MailError::SendUnavailable => Self::Unavailable,
            MailError::Build => Self::Internal,
        }
    }
}

/// Stored tenant status.
pub(crate) mod status {
    /// Signed up, owner email not yet verified; invisible to the public.
    pub const PENDING: &str = "pending_verification";
    /// Verified and live.
    pub const ACTIVE: &str = "active";
}
