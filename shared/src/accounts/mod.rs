//! Tenants and their users: sign-up, email verification, the public profile.

pub mod closure;
pub mod keys;
pub mod limits;
pub mod login;
pub mod me;
pub(crate) mod notify;
pub mod purge;
pub mod reset;
pub mod settings;
mod signup;
pub mod user;
pub mod users;
mod verification;

pub use signup::{register_tenant, NewTenant, Registered, SignupInput};
pub use verification::{
    public_profile, resend_verification, verify_email, PublicProfile, ResendInput, Verified,
};

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
    /// Login refused (every reason looks the same).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many attempts from one client.
    #[error("too many requests")]
    TooManyRequests,
    /// The right password, but the address is not verified yet.
    #[error("email unverified")]
    EmailUnverified,
    /// A second-factor code is wrong, used or expired.
    #[error("invalid code")]
    InvalidCode,
    /// A new password does not meet the policy.
    #[error("weak password: {0}")]
    WeakPassword(String),
    /// The operation needs the current password or a code.
    #[error("reauthentication required")]
    ReauthenticationRequired,
    /// The tenant would be left without an owner.
    #[error("last owner")]
    LastOwner,
    /// The email already belongs to a user of the tenant.
    #[error("email taken")]
    EmailTaken,
    /// No such user, key or session in the caller's tenant.
    #[error("not found")]
    NotFound,
    /// The caller's role may not do this to that target.
    #[error("forbidden")]
    Forbidden,
    /// Input failed validation.
    #[error("invalid input")]
    Invalid(Vec<crate::http::FieldError>),
    /// The business lives in another region, served at this address (PRIV-4).
    #[error("in another region")]
    InRegion(String),
}

impl From<AccountsError> for crate::http::Problem {
    fn from(e: AccountsError) -> Self {
        use crate::http::Problem;
        match e {
            AccountsError::SlugTaken => Problem::SlugTaken,
            AccountsError::InvalidToken => Problem::InvalidToken,
            AccountsError::Unavailable => Problem::ServiceUnavailable,
            AccountsError::Internal => Problem::Internal,
            AccountsError::InvalidCredentials => Problem::InvalidCredentials,
            AccountsError::TooManyRequests => Problem::TooManyRequests,
            AccountsError::EmailUnverified => Problem::EmailUnverified,
            AccountsError::InvalidCode => Problem::InvalidCode,
            AccountsError::WeakPassword(reason) => Problem::WeakPassword(reason),
            AccountsError::ReauthenticationRequired => Problem::ReauthenticationRequired,
            AccountsError::LastOwner => Problem::LastOwner,
            AccountsError::EmailTaken => Problem::EmailTaken,
            AccountsError::NotFound => Problem::NotFound,
            AccountsError::Forbidden => Problem::Forbidden,
            AccountsError::Invalid(errors) => Problem::Validation(errors),
            AccountsError::InRegion(site) => Problem::InRegion(site),
        }
    }
}

/// Maps a failed write condition (a concurrent lock, a used code or link, a
/// password changed meanwhile) to the refusal the caller should see; other
/// store failures keep their meaning.
pub(crate) fn conflict_as(refusal: AccountsError) -> impl FnOnce(StoreError) -> AccountsError {
    move |e| match e {
        StoreError::Conflict => refusal,
        other => other.into(),
    }
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
    /// Closed by an owner: invisible to the public, restorable until purged
    /// (PRIV-3).
    pub const CLOSED: &str = "closed";
}

/// Stored user status.
pub(crate) mod user_status {
    /// Invited; becomes active when the invitation is accepted.
    pub const INVITED: &str = "invited";
    /// Can sign in.
    pub const ACTIVE: &str = "active";
    /// Cannot sign in; kept for the record until deleted.
    pub const DEACTIVATED: &str = "deactivated";
}
